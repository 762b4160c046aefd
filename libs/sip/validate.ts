// Deeper checks than parseMessage does on the hot path, for the sanity step
// (Kamailio's sanity module in spirit): every value a proxy may act on must
// parse. Returns the first problem, with the message as `partial` when the
// request can be answered.
import type { ParseError, ParseErrorCode, ParseLimits, ParseResult, SipMessage } from './types.ts';
import { parseError } from './errors.ts';
import { parseMessage } from './parser.ts';
import { Message } from './message.ts';

function problem(msg: SipMessage, code: ParseErrorCode, detail: string): ParseError {
  return parseError(code, detail, msg.isRequest && msg.topVia() !== undefined ? msg : undefined);
}

/** control chars other than HT are not allowed in header values (RFC 3261 TEXT-UTF8char, LWS) */
function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

export function validateMessage(msg: SipMessage): ParseError | undefined {
  if (msg.isRequest) {
    const scheme = msg.uri.slice(0, msg.uri.indexOf(':')).toLowerCase();
    if ((scheme === 'sip' || scheme === 'sips' || scheme === 'tel') && msg.requestUri() === undefined) {
      return problem(msg, 'bad_uri', 'malformed Request-URI');
    }
  }
  // the list accessors stop at the first malformed value and cache what they parsed,
  // so comparing counts checks every value and the proxy reuses the parse afterwards
  if (msg.vias().length !== msg.headerValues('via').length) return problem(msg, 'bad_via', 'malformed Via');
  if (msg.from() === undefined) return problem(msg, 'bad_header', 'malformed From');
  if (msg.to() === undefined) return problem(msg, 'bad_header', 'malformed To');
  const mf = msg.maxForwards();
  if (mf !== undefined && !(mf >= 0 && mf <= 255)) return problem(msg, 'bad_header', 'malformed Max-Forwards');
  if (msg.hasHeader('contact') && msg.contacts().length !== msg.headerValues('contact').length) return problem(msg, 'bad_header', 'malformed Contact');
  if (msg.hasHeader('route') && msg.routes().length !== msg.headerValues('route').length) return problem(msg, 'bad_header', 'malformed Route');
  if (msg.hasHeader('record-route') && msg.recordRoutes().length !== msg.headerValues('record-route').length) return problem(msg, 'bad_header', 'malformed Record-Route');
  const cl = msg.contentLength();
  if (cl !== undefined && Number.isNaN(cl)) return problem(msg, 'bad_content_length', 'Content-Length is not a number');
  const bad = controlCharHeader(msg);
  if (bad !== undefined) return problem(msg, 'bad_header', `control character in ${bad}`);
  return undefined;
}

/** our Message scans its header values in place; any other SipMessage through fields() */
function controlCharHeader(msg: SipMessage): string | undefined {
  if (msg instanceof Message) return msg.headerWithControlChar();
  for (const f of msg.fields()) if (hasControl(f.value)) return f.name;
  return undefined;
}

/** parseMessage followed by validateMessage. */
export function parseAndValidate(buf: Buffer, limits?: Partial<ParseLimits>): ParseResult {
  const r = parseMessage(buf, limits);
  if (!r.ok) return r;
  try {
    const e = validateMessage(r.msg);
    return e === undefined ? r : { ok: false, error: e };
  } catch {
    return { ok: false, error: parseError('bad_header', 'unparseable message') };
  }
}
