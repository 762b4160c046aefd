// checkRequest: Kamailio `sanity` + `maxfwd` for one received request, as a
// pure function. It decides; the caller answers (createResponse), drops, and
// records the rejection. Order follows RFC 3261 §16.3: syntax first (400),
// then the URI scheme (416), Max-Forwards (483), Proxy-Require (420).
import { isAbsoluteUri, schemeIsSipOrTel, validateMessage } from '#libs/sip';
import type { NameAddr, ParseError, ParseErrorCode, ParseResult, SipMessage } from '#libs/sip';
import { SANITY_REJECTIONS as R, type DropRejection, type Rejection, type ReplyRejection } from '#libs/rejections';
import { checkMaxForwards } from './maxfwd.ts';

export interface SanityContext {
  /** option tags this node supports in Proxy-Require, lower-case (resolveSanityConfig does it) */
  proxyRequireSupported: readonly string[];
  /**
   * True when the Request-URI addresses this node itself (its own or
   * advertised address, no user part). OPTIONS with Max-Forwards 0 to
   * ourselves is let through so we answer it (§16.3 step 3, 11).
   */
  isSelf?: (msg: SipMessage) => boolean;
}

export type SanityVerdict =
  | { readonly action: 'pass' }
  | {
      readonly action: 'reply';
      readonly status: number;
      readonly reason: string;
      readonly code: string;
      /** the request to answer (the parser's partial message when parsing failed) */
      readonly request: SipMessage;
      /** extra response headers (Unsupported for 420) */
      readonly headers?: ReadonlyArray<readonly [string, string]>;
      readonly rejection: ReplyRejection;
      /** what exactly failed, for the log; never put on the wire */
      readonly detail?: string;
    }
  | { readonly action: 'drop'; readonly code: string; readonly rejection: DropRejection; readonly detail?: string };

const PASS: SanityVerdict = Object.freeze({ action: 'pass' });

/** Parse failures the request can still be answered for, mapped to their rejection. */
export const PARSE_REJECTION: Readonly<Record<ParseErrorCode, Rejection>> = Object.freeze({
  empty: R.empty,
  too_large: R.oversize,
  bad_start_line: R.badStartLine,
  bad_version: R.badVersion,
  bad_method: R.badStartLine,
  bad_status: R.badResponse,
  bad_header: R.badHeader,
  line_too_long: R.oversize,
  too_many_headers: R.oversize,
  via_depth: R.tooManyVias,
  missing_header: R.missingHeader,
  bad_content_length: R.badContentLength,
  truncated_body: R.contentLengthMismatch,
  bad_cseq: R.badCseq,
  bad_via: R.badVia,
  bad_uri: R.badRuri,
});

/** Parse failures with no answerable request: what the drop is called. */
function unanswerable(e: ParseError): Rejection {
  switch (e.code) {
    case 'empty':
      return R.empty;
    case 'bad_status':
      return R.badResponse;
    case 'too_large':
    case 'line_too_long':
    case 'too_many_headers':
      return R.oversizeDropped;
    case 'missing_header':
      return R.missingVia; // a Via line would have made the request answerable
    default:
      return R.unparsable;
  }
}

function verdict(rej: Rejection, request: SipMessage | undefined, detail?: string, headers?: ReadonlyArray<readonly [string, string]>): SanityVerdict {
  // ACK is never answered (RFC 3261 §17); nor is anything we cannot route a reply for
  if (rej.status === 'drop' || request === undefined) {
    const drop = rej.status === 'drop' ? rej : request === undefined ? R.unparsable : rej;
    return { action: 'drop', code: drop.code, rejection: drop as DropRejection, ...(detail !== undefined ? { detail } : {}) };
  }
  if (request.method === 'ACK') {
    return { action: 'drop', code: R.badAck.code, rejection: R.badAck as DropRejection, detail: detail ?? rej.code };
  }
  return {
    action: 'reply',
    status: rej.status,
    reason: rej.reason,
    code: rej.code,
    request,
    rejection: rej,
    ...(headers !== undefined ? { headers } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}

function count(msg: SipMessage, name: string): number {
  let n = 0;
  for (const f of msg.fields()) if (f.key === name) n++;
  return n;
}

/**
 * The parser reports some distinct problems under one code (duplicate From
 * and a malformed Contact are both bad_header); look at the message to name
 * the exact rule, so the reason phrase and the metric say what was wrong.
 */
function refine(e: ParseError, msg: SipMessage): Rejection {
  if (e.code === 'bad_cseq') {
    if (count(msg, 'cseq') > 1) return R.duplicateCseq;
    const cseq = msg.cseq();
    if (cseq !== undefined && cseq.method !== msg.method) return R.cseqMethodMismatch;
    return R.badCseq;
  }
  if (e.code === 'bad_header') {
    if (count(msg, 'from') > 1) return R.duplicateFrom;
    if (count(msg, 'to') > 1) return R.duplicateTo;
    if (count(msg, 'call-id') > 1) return R.duplicateCallId;
    if (!addressOk(msg.from())) return R.badFrom;
    if (!addressOk(msg.to())) return R.badTo;
    if (checkMaxForwards(msg.maxForwards()) === 'malformed') return R.badMaxForwards;
  }
  return PARSE_REJECTION[e.code];
}

/**
 * A From/To value whose syntax is valid: a sip/sips/tel URI must parse; any
 * other scheme (isbn:, http:, a bare name:) is a legal absoluteURI (RFC 4475
 * unksm2) and is checked for syntax only, not refused here.
 */
function addressOk(na: NameAddr | undefined): boolean {
  if (na === undefined) return false;
  const t = na.uriText;
  return schemeIsSipOrTel(t, t.indexOf(':')) ? na.uri !== undefined : isAbsoluteUri(t);
}

function isExpiresValid(v: string): boolean {
  // delta-seconds (RFC 3261 §20.19); Kamailio check_expires_value: unsigned 32-bit
  return /^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff;
}

function schemeOf(uri: string): string {
  const c = uri.indexOf(':');
  return c <= 0 ? '' : uri.slice(0, c).toLowerCase();
}


// RFC 3261 §25.1: callid = word [ "@" word ]; word chars are printable, no spaces
const CALL_ID_RE = /^[\x21-\x7e]+$/;

/** Rules on a request that parsed; undefined when it passes them all. */
function checkParsed(msg: SipMessage, ctx: SanityContext): SanityVerdict | undefined {
  const via = msg.topVia();
  if (via === undefined || via.protocol.toUpperCase() !== 'SIP/2.0') return verdict(R.badTopVia, msg); // answered to the source address

  // ---- syntax (400)
  const knownScheme = schemeIsSipOrTel(msg.uri, msg.uri.indexOf(':'));
  if (knownScheme && msg.requestUri() === undefined) return verdict(R.badRuri, msg);
  if (!addressOk(msg.from())) return verdict(R.badFrom, msg);
  if (!addressOk(msg.to())) return verdict(R.badTo, msg);
  const callId = msg.callId();
  if (callId === undefined || !CALL_ID_RE.test(callId)) return verdict(R.badCallId, msg);
  const mfLines = msg.headerValues('max-forwards').length;
  const mf = checkMaxForwards(msg.maxForwards());
  if (mf === 'malformed' || mfLines > 1) return verdict(R.badMaxForwards, msg, mfLines > 1 ? 'more than one Max-Forwards' : undefined);
  const expires = msg.header('expires');
  if (expires !== undefined && !isExpiresValid(expires)) return verdict(R.badExpires, msg);
  const cl = msg.contentLength();
  if (cl !== undefined && cl !== msg.body.length) return verdict(R.contentLengthMismatch, msg);
  const deep = validateMessage(msg);
  if (deep !== undefined) return verdict(refine(deep, msg), msg, deep.detail);

  // ---- scheme (416), hops (483), extensions (420)
  if (!knownScheme) return verdict(R.unsupportedScheme, msg, `scheme "${schemeOf(msg.uri).slice(0, 16)}"`);
  if (mf === 'exhausted' && !(msg.method === 'OPTIONS' && ctx.isSelf?.(msg) === true)) return verdict(R.tooManyHops, msg);
  const required = msg.headerValues('proxy-require');
  if (required.length > 0) {
    const unsupported: string[] = [];
    for (const tag of required) {
      const t = tag.trim();
      if (t !== '' && !ctx.proxyRequireSupported.includes(t.toLowerCase())) unsupported.push(t);
    }
    if (unsupported.length > 0) return verdict(R.badExtension, msg, unsupported.join(', '), [['Unsupported', unsupported.join(', ')]]);
  }
  return undefined;
}

/**
 * Sanity-check one received message. Give it what the parser returned (the
 * ParseResult, the message, or the ParseError). Responses pass when parsed
 * (transactions deal with them) and are dropped when not.
 */
export function checkRequest(input: ParseResult | SipMessage | ParseError, ctx: SanityContext): SanityVerdict {
  let msg: SipMessage | undefined;
  let err: ParseError | undefined;
  if ('ok' in input) {
    if (input.ok) msg = input.msg;
    else err = input.error;
  } else if ('code' in input && 'detail' in input) err = input;
  else msg = input;

  if (err !== undefined) {
    const detail = `${err.code}: ${err.detail}`;
    const partial = err.partial;
    if (partial === undefined || !partial.isRequest) return verdict(unanswerable(err), undefined, detail);
    return verdict(refine(err, partial), partial, detail);
  }
  if (msg === undefined || !msg.isRequest) return PASS;
  return checkParsed(msg, ctx) ?? PASS;
}
