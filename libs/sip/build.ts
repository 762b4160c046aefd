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
  if ('code' in sl) throw new TypeError(`buildMessage: ${sl.detail}: ${JSON.stringify(startLine)}`);
  const keys: string[] = [];
  const names: string[] = [];
  const values: string[] = [];
  let cseqText: string | undefined;
  for (const [name, value] of headers) {
    const n = name.trim();
    if (n.length === 0 || /[^A-Za-z0-9\-.!%*_+`'~]/.test(n)) throw new TypeError(`buildMessage: bad header name ${JSON.stringify(name)}`);
    const key = canonicalKey(n);
    const v = toByteString(value.trim());
    if (/[\r\n]/.test(v)) throw new TypeError(`buildMessage: line break in ${n} value`);
    if (key === 'cseq' && cseqText === undefined) cseqText = v;
    keys.push(key);
    names.push(n);
    values.push(v);
  }
  const cseq = cseqText === undefined ? undefined : parseCSeqValue(cseqText);
  const method = sl.isRequest ? sl.method : cseq?.method ?? '';
  return new Message(NO_SOURCE, sl.isRequest, method, sl.uri, sl.status, sl.reason, keys, body, undefined, names, values);
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
  const headers: [string, string][] = [];
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let timestamp: string | undefined;
  for (const f of req.fields()) {
    switch (f.key) {
      case 'via': headers.push(['Via', copyable(f.value)]); break;
      case 'from': from ??= copyable(f.value); break;
      case 'to': to ??= copyable(f.value); break;
      case 'call-id': callId ??= copyable(f.value); break;
      case 'cseq': cseq ??= copyable(f.value); break;
      case 'timestamp': timestamp ??= copyable(f.value); break;
    }
  }
  if (from !== undefined) headers.push(['From', from]);
  if (to !== undefined) {
    const tagged = opts.toTag !== undefined && req.toTag() === undefined && !/;\s*tag\s*=/i.test(to);
    headers.push(['To', tagged ? `${to};tag=${opts.toTag}` : to]);
  }
  if (callId !== undefined) headers.push(['Call-ID', callId]);
  if (cseq !== undefined) headers.push(['CSeq', cseq]);
  if (status === 100 && timestamp !== undefined) headers.push(['Timestamp', timestamp]);
  if (opts.headers) for (const h of opts.headers) headers.push([h[0], h[1]]);
  const body = opts.body ?? EMPTY;
  if (opts.contentType !== undefined) headers.push(['Content-Type', opts.contentType]);
  const code = Math.trunc(status);
  if (!(code >= 100 && code <= 699)) throw new TypeError(`createResponse: bad status ${status}`);
  return buildMessage(`SIP/2.0 ${code} ${reason}`, headers, body);
}
