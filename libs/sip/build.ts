// Building messages we originate: responses (RFC 3261 §8.2.6), and requests
// such as CANCEL/ACK made by the transaction layer. Built messages never
// re-parse: their rows are held as (name, value) pairs and serialize() emits them.
import type { SipMessage } from './types.ts';
import { canonicalKey } from './names.ts';
import { Message, NO_SOURCE } from './message.ts';
import { parseCSeqValue } from './header-text.ts';
import { parseStartLine } from './parser.ts';
import { toByteString } from './scan.ts';

const EMPTY: Buffer = Buffer.alloc(0);

export type HeaderList = readonly (readonly [name: string, value: string])[];

/**
 * Make a message from a start line ("INVITE sip:b@x SIP/2.0" or
 * "SIP/2.0 200 OK"), header lines in order, and a body. Content-Length is
 * computed on serialize(). Throws TypeError on a malformed start line or
 * header name: the inputs come from our own code, so that is a bug.
 */
export function buildMessage(startLine: string, headers: HeaderList, body: Buffer = EMPTY): SipMessage {
  const line = toByteString(startLine);
  const sl = parseStartLine(line, 0, line.length);
  if ('code' in sl || sl.otherVersion) throw new TypeError(`buildMessage: ${'code' in sl ? sl.detail : 'not SIP/2.0'}: ${JSON.stringify(startLine)}`);
  const rows = new Rows();
  for (const [name, value] of headers) rows.add(name, value);
  return rows.message(sl.isRequest, sl.method, sl.uri, sl.status, sl.reason, body);
}

const BAD_NAME_CHAR = /[^A-Za-z0-9\-.!%*_+`'~]/;
const LINE_BREAK = /[\r\n]/;

/** The header lines of a message being built, checked as buildMessage documents. */
class Rows {
  readonly keys: string[] = [];
  readonly names: string[] = [];
  readonly values: string[] = [];
  private cseqText: string | undefined = undefined;

  /** a header line from a caller: name checked and canonicalised */
  add(name: string, value: string): void {
    const n = name.trim();
    if (n.length === 0 || BAD_NAME_CHAR.test(n)) throw new TypeError(`buildMessage: bad header name ${JSON.stringify(name)}`);
    this.addKnown(canonicalKey(n), n, value);
  }

  /** a header line whose name is one of our constants (`key` is its canonical key) */
  addKnown(key: string, name: string, value: string): void {
    const v = toByteString(value.trim());
    if (LINE_BREAK.test(v)) throw new TypeError(`buildMessage: line break in ${name} value`);
    if (key === 'cseq' && this.cseqText === undefined) this.cseqText = v;
    this.keys.push(key);
    this.names.push(name);
    this.values.push(v);
  }

  message(isRequest: boolean, method: string, uri: string, status: number, reason: string, body: Buffer): SipMessage {
    const cseq = this.cseqText === undefined ? undefined : parseCSeqValue(this.cseqText);
    const m = isRequest ? method : cseq?.method ?? '';
    return new Message(NO_SOURCE, isRequest, m, uri, status, reason, this.keys, body, undefined, this.names, this.values);
  }
}

export interface RequestSpec {
  method: string;
  uri: string;
  headers: HeaderList;
  body?: Buffer;
}

/** A new request; the caller supplies Via, From, To, Call-ID, CSeq, Max-Forwards. */
export function createRequest(spec: RequestSpec): SipMessage {
  return buildMessage(`${spec.method} ${spec.uri} SIP/2.0`, spec.headers, spec.body);
}

/** values copied from a rejected request (ParseError.partial) may hold stray CR/NUL: never echo them */
function copyable(v: string): string {
  return LINE_BREAKING.test(v) ? v.replace(LINE_BREAKING_ALL, ' ') : v;
}
const LINE_BREAKING = /[\r\n\0]/;
const LINE_BREAKING_ALL = /[\r\n\0]/g;

export interface ResponseOptions {
  /** added to To when the request's To has no tag (dialog-creating or final responses) */
  toTag?: string;
  /** extra header lines, emitted after the copied ones */
  headers?: HeaderList;
  body?: Buffer;
  contentType?: string;
}

/**
 * A response to `req` per RFC 3261 §8.2.6: every Via line in order, From,
 * To (tag added when given and absent), Call-ID, CSeq copied as received;
 * Timestamp echoed on 100 (§8.2.6.1).
 */
export function createResponse(req: SipMessage, status: number, reason: string, opts: ResponseOptions = {}): SipMessage {
  const code = Math.trunc(status);
  if (!(code >= 100 && code <= 699)) throw new TypeError(`createResponse: bad status ${status}`);
  // Every request we answer passes here (100 Trying on each INVITE): rows are
  // filled directly, with our constant names, rather than as a HeaderList that
  // buildMessage would check name by name, and the status line is not re-parsed.
  const rows = new Rows();
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let timestamp: string | undefined;
  if (req instanceof Message) {
    // our Message hands out keys and values without a HeaderField object per line
    for (let i = 0; i < req.fieldCount(); i++) {
      switch (req.fieldKey(i)) {
        case 'via': rows.addKnown('via', 'Via', copyable(req.fieldValue(i))); break;
        case 'from': from ??= copyable(req.fieldValue(i)); break;
        case 'to': to ??= copyable(req.fieldValue(i)); break;
        case 'call-id': callId ??= copyable(req.fieldValue(i)); break;
        case 'cseq': cseq ??= copyable(req.fieldValue(i)); break;
        case 'timestamp': timestamp ??= copyable(req.fieldValue(i)); break;
      }
    }
  } else {
    for (const f of req.fields()) {
      switch (f.key) {
        case 'via': rows.addKnown('via', 'Via', copyable(f.value)); break;
        case 'from': from ??= copyable(f.value); break;
        case 'to': to ??= copyable(f.value); break;
        case 'call-id': callId ??= copyable(f.value); break;
        case 'cseq': cseq ??= copyable(f.value); break;
        case 'timestamp': timestamp ??= copyable(f.value); break;
      }
    }
  }
  if (from !== undefined) rows.addKnown('from', 'From', from);
  if (to !== undefined) {
    const tagged = opts.toTag !== undefined && req.toTag() === undefined && !/;\s*tag\s*=/i.test(to);
    rows.addKnown('to', 'To', tagged ? `${to};tag=${opts.toTag}` : to);
  }
  if (callId !== undefined) rows.addKnown('call-id', 'Call-ID', callId);
  if (cseq !== undefined) rows.addKnown('cseq', 'CSeq', cseq);
  if (status === 100 && timestamp !== undefined) rows.addKnown('timestamp', 'Timestamp', timestamp);
  if (opts.headers) for (const h of opts.headers) rows.add(h[0], h[1]);
  const body = opts.body ?? EMPTY;
  if (opts.contentType !== undefined) rows.addKnown('content-type', 'Content-Type', opts.contentType);
  // what parseStartLine makes of `SIP/2.0 ${code} ${reason}`: the reason as bytes, to the end
  return rows.message(false, '', '', code, toByteString(String(reason)), body);
}
