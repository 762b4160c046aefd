// Deeper checks than parseMessage does on the hot path, for the sanity step
// (Kamailio's sanity module in spirit): every value a proxy may act on must
// parse. Returns the first problem, with the message as `partial` when the
// request can be answered.
import type { ParseError, ParseErrorCode, ParseLimits, ParseResult, SipMessage } from './types.ts';
import { parseError } from './errors.ts';
import { parseMessage } from './parser.ts';
import { Message, type CheckedList } from './message.ts';

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

/**
 * The scheme of a Request-URI is sip, sips or tel (any case). The scheme is
 * what precedes the first ':' (all but the last char when there is none, as
 * uri.slice(0, -1) gives: only a URI set through setUri can lack one). No
 * allocation: this runs on every request.
 */
function hasSipOrTelScheme(uri: string): boolean {
  const colon = uri.indexOf(':');
  return schemeIsSipOrTel(uri, colon < 0 ? uri.length - 1 : colon);
}

/** uri.slice(0, end) is sip, sips or tel (any case), without making the string: every request asks */
export function schemeIsSipOrTel(uri: string, end: number): boolean {
  if (end !== 3 && end !== 4) return false;
  const c0 = uri.charCodeAt(0) | 0x20;
  const c1 = uri.charCodeAt(1) | 0x20;
  const c2 = uri.charCodeAt(2) | 0x20;
  if (end === 4) return c0 === 115 && c1 === 105 && c2 === 112 && (uri.charCodeAt(3) | 0x20) === 115; // sips
  return (c0 === 115 && c1 === 105 && c2 === 112) || (c0 === 116 && c1 === 101 && c2 === 108); // sip, tel
}

/**
 * Some value of a list header does not parse. The list accessors stop at the
 * first malformed value and cache what they parsed, so comparing counts
 * checks every value and the proxy reuses the parse afterwards; our Message
 * answers from that cache without splitting the values a second time.
 */
function listMalformed(msg: SipMessage, key: CheckedList): boolean {
  if (msg instanceof Message) return msg.hasMalformedValue(key);
  switch (key) {
    case 'via': return msg.vias().length !== msg.headerValues('via').length;
    case 'contact': return msg.hasHeader('contact') && msg.contacts().length !== msg.headerValues('contact').length;
    case 'route': return msg.hasHeader('route') && msg.routes().length !== msg.headerValues('route').length;
    case 'record-route': return msg.hasHeader('record-route') && msg.recordRoutes().length !== msg.headerValues('record-route').length;
  }
}

export function validateMessage(msg: SipMessage): ParseError | undefined {
  if (msg.isRequest && hasSipOrTelScheme(msg.uri) && msg.requestUri() === undefined) {
    return problem(msg, 'bad_uri', 'malformed Request-URI');
  }
  if (listMalformed(msg, 'via')) return problem(msg, 'bad_via', 'malformed Via');
  if (msg.from() === undefined) return problem(msg, 'bad_header', 'malformed From');
  if (msg.to() === undefined) return problem(msg, 'bad_header', 'malformed To');
  const mf = msg.maxForwards();
  if (mf !== undefined && !(mf >= 0 && mf <= 255)) return problem(msg, 'bad_header', 'malformed Max-Forwards');
  if (listMalformed(msg, 'contact')) return problem(msg, 'bad_header', 'malformed Contact');
  if (listMalformed(msg, 'route')) return problem(msg, 'bad_header', 'malformed Route');
  if (listMalformed(msg, 'record-route')) return problem(msg, 'bad_header', 'malformed Record-Route');
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
