// parseMessage: splits the start line and header lines, indexes them (key +
// offsets), frames the body, and checks only what framing and answering need
// (start line, mandatory headers, CSeq, Content-Length, caps). Values are
// parsed later, on demand, by the Message accessors (see message.ts).
//
// Cost is linear in the input: one indexOf per line, one pass over each
// header name, no regex. Every failure is a typed ParseError; nothing throws.
import type { CSeq, ParseError, ParseErrorCode, ParseLimits, ParseResult } from './types.ts';
import * as limitsMod from './limits.ts';
import * as namesMod from './names.ts';
import * as scanMod from './scan.ts';
import * as bytesMod from './bytes.ts';
import * as errorsMod from './errors.ts';
import * as messageMod from './message.ts';
import * as headerTextMod from './header-text.ts';
import type { WireSource } from './message.ts';

// Module-local copies of imported bindings: under tsx each access to an
// imported binding is a getter call, which is measurable in per-char loops.
const { DEFAULT_PARSE_LIMITS, resolveLimits } = limitsMod;
const { recognizeName } = namesMod;
const { hasBareControl, parseUint, unfold } = scanMod;
const { latin1 } = bytesMod;
const { parseError } = errorsMod;
const { F_FOLDED, F_NEXT, F_VAL, F_VAL_END, Message, STRIDE } = messageMod;
const { isToken, parseCSeqValue } = headerTextMod;

const EMPTY: Buffer = Buffer.alloc(0);

export interface StartLine {
  isRequest: boolean;
  method: string;
  uri: string;
  status: number;
  reason: string;
  /** a request line whose version is a well-formed SIP/x.y other than 2.0: parsed on so it can be answered 505 */
  otherVersion: boolean;
}

function isSipVersionAt(s: string, i: number): boolean {
  return (s.charCodeAt(i) | 0x20) === 115 && (s.charCodeAt(i + 1) | 0x20) === 105 && (s.charCodeAt(i + 2) | 0x20) === 112 && s.charCodeAt(i + 3) === 47;
}

/** "SIP/x.y": 2 = SIP/2.0, 1 = well-formed other version, 0 = not a version */
function versionKind(s: string, a: number, b: number): 0 | 1 | 2 {
  if (b - a < 7 || !isSipVersionAt(s, a)) return 0;
  let i = a + 4;
  const ms = i;
  while (i < b && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === ms || i >= b || s.charCodeAt(i) !== 46) return 0;
  const ns = ++i;
  while (i < b && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === ns || i !== b) return 0;
  return b - a === 7 && s.charCodeAt(a + 4) === 50 && s.charCodeAt(a + 6) === 48 ? 2 : 1;
}

export function parseStartLine(s: string, p: number, le: number): StartLine | ParseError {
  if (isSipVersionAt(s, p)) {
    const sp = s.indexOf(' ', p);
    const vEnd = sp < 0 || sp > le ? le : sp;
    const vk = versionKind(s, p, vEnd);
    if (vk === 0) return parseError('bad_start_line', 'malformed status line');
    if (vk === 1) return parseError('bad_version', 'unsupported SIP version');
    const status = parseUint(s, vEnd + 1, vEnd + 4, 3);
    if (status < 100 || status > 699) return parseError('bad_status', 'bad status code');
    const after = vEnd + 4;
    if (after < le && s.charCodeAt(after) !== 32) return parseError('bad_status', 'bad status code');
    return { isRequest: false, method: '', uri: '', status, reason: after < le ? s.slice(after + 1, le) : '', otherVersion: false };
  }
  const sp1 = s.indexOf(' ', p);
  if (sp1 < 0 || sp1 >= le) return parseError('bad_start_line', 'malformed request line');
  const sp2 = s.lastIndexOf(' ', le - 1);
  if (sp2 <= sp1) return parseError('bad_start_line', 'malformed request line');
  const method = s.slice(p, sp1);
  if (!isToken(method)) return parseError('bad_method', 'bad method token');
  const vk = versionKind(s, sp2 + 1, le);
  if (vk === 0) return parseError('bad_start_line', 'malformed request line');
  if (sp2 === sp1 + 1) return parseError('bad_start_line', 'empty Request-URI');
  // Request-URI: no whitespace or control chars; an absoluteURI needs a scheme
  const uri = s.slice(sp1 + 1, sp2);
  if (CTL_OR_SPACE.test(uri)) return parseError('bad_start_line', 'whitespace in Request-URI');
  const colon = uri.indexOf(':');
  if (colon <= 0) return parseError('bad_uri', 'Request-URI has no scheme');
  // RFC 3986 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  for (let i = 0; i < colon; i++) {
    const c = uri.charCodeAt(i);
    const ok = ((c | 0x20) >= 97 && (c | 0x20) <= 122) || (i > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46));
    if (!ok) return parseError('bad_uri', 'bad Request-URI scheme');
  }
  return { isRequest: true, method, uri, status: 0, reason: '', otherVersion: vk === 1 };
}

/** a single char class: linear, native */
const CTL_OR_SPACE = /[\x00-\x20\x7f]/;

function countCommas(s: string, a: number, b: number): number {
  let n = 0;
  for (let i = s.indexOf(',', a); i >= 0 && i < b; i = s.indexOf(',', i + 1)) n++;
  return n;
}



/** A positive finite number: what resolveLimits keeps from an override. */
function isCap(v: unknown): boolean {
  return typeof v === 'number' && v > 0 && Number.isFinite(v);
}

/**
 * The limits to parse with. Callers pass the same complete limits object for
 * every message (the node's config): use it as is rather than have
 * resolveLimits copy it per message (a new object and closure per message:
 * measured ~4% of the SIP layer's CPU per proxied call).
 */
function limitsFor(limits: Partial<ParseLimits> | undefined): ParseLimits {
  if (limits === undefined || limits === DEFAULT_PARSE_LIMITS) return DEFAULT_PARSE_LIMITS;
  if (isCap(limits.maxMessageBytes) && isCap(limits.maxHeaderCount) && isCap(limits.maxLineBytes) && isCap(limits.maxViaDepth)) return limits as ParseLimits;
  return resolveLimits(limits);
}

export function parseMessage(buf: Buffer, limits?: Partial<ParseLimits>): ParseResult {
  try {
    return parse(buf, limitsFor(limits));
  } catch {
    // a bug, not an input property: still never let it escape the perimeter
    return { ok: false, error: parseError('bad_header', 'unparseable message') };
  }
}

function fail(code: ParseErrorCode, detail: string): ParseResult {
  return { ok: false, error: parseError(code, detail) };
}

function parse(buf: Buffer, lim: ParseLimits): ParseResult {
  const total = buf.length;
  if (total === 0) return fail('empty', 'empty message');
  const tooLarge = total > lim.maxMessageBytes;
  const scanLen = tooLarge ? lim.maxMessageBytes : total;
  const s = latin1(buf, 0, scanLen);
  const maxLine = lim.maxLineBytes;

  // RFC 3261 §7.5: ignore CRLFs before the start line (keep-alives)
  let p = 0;
  while (p < scanLen) {
    const c = s.charCodeAt(p);
    if (c !== 13 && c !== 10) break;
    p++;
  }
  if (p >= scanLen) return fail('empty', 'only line breaks');
  const msgStart = p;
  let bareLf = false;

  let nl = s.indexOf('\n', p);
  let le = nl < 0 ? scanLen : nl;
  if (le > p && s.charCodeAt(le - 1) === 13) le--;
  if (nl < 0 || le === nl) bareLf = true;
  if (le - p > maxLine) return fail('line_too_long', 'start line too long');
  const sl = parseStartLine(s, p, le);
  if ('code' in sl) return { ok: false, error: sl };
  p = nl < 0 ? scanLen : nl + 1;
  // RFC 3261 §8.2.2 / RFC 4475 badvers: another SIP version is answered 505, so read on
  let err: ParseError | undefined = sl.otherVersion ? parseError('bad_version', 'unsupported SIP version') : undefined;
  const startNext = p;

  // ---- header lines
  const keys: string[] = [];
  const off: number[] = [];
  let last = -1; // row base of the header a continuation line extends
  let headerEnd = -1;
  let colonAt = -2;
  let crAt = -2;
  const cr0 = s.indexOf('\r', msgStart);
  let bareCr = cr0 >= 0 && cr0 < le; // `le` still ends the start line here (reason phrases are free text)
  const maxHeaders = lim.maxHeaderCount;
  for (;;) {
    if (p >= scanLen) {
      headerEnd = scanLen; // no empty line: the datagram ends the header block
      break;
    }
    nl = s.indexOf('\n', p);
    const stop = nl < 0 ? scanLen : nl;
    le = stop;
    if (le > p && s.charCodeAt(le - 1) === 13) le--;
    // LF-only or unterminated last line: serialize() rebuilds every line with CRLF
    if (nl < 0 || le === stop) bareLf = true;
    // a CR inside a line is how header smuggling starts (peers that split on CR)
    if (crAt !== -1 && crAt < p) crAt = s.indexOf('\r', p);
    if (crAt !== -1 && crAt < le) bareCr = true;
    const next = nl < 0 ? scanLen : nl + 1;
    if (le === p) {
      headerEnd = next;
      break;
    }
    if (le - p > maxLine) {
      err ??= parseError('line_too_long', 'header line too long');
      last = -1;
      p = next;
      continue;
    }
    const c0 = s.charCodeAt(p);
    if (c0 === 32 || c0 === 9) {
      // LWS continuation of the previous header
      if (last < 0) {
        err ??= parseError('bad_header', 'continuation line without a header');
        p = next;
        continue;
      }
      let a = p;
      while (a < le && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
      let b = le;
      while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
      if (b > a) {
        if (off[last + F_VAL] === off[last + F_VAL_END]) off[last + F_VAL] = a;
        else off[last + F_FOLDED] = 1;
        off[last + F_VAL_END] = b;
      }
      off[last + F_NEXT] = next;
      p = next;
      continue;
    }
    // name: up to the first ':' on the line, trailing WSP allowed (HCOLON).
    // The next colon is remembered so colon-less lines cannot make this quadratic.
    if (colonAt !== -1 && colonAt < p) colonAt = s.indexOf(':', p);
    const colon = colonAt;
    let nameEnd = colon;
    if (colon >= 0 && colon < le) {
      while (nameEnd > p && (s.charCodeAt(nameEnd - 1) === 32 || s.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
    }
    const key = colon < 0 || colon >= le || nameEnd === p ? '' : recognizeName(s, p, nameEnd);
    if (key === '') {
      err ??= parseError('bad_header', 'malformed header line');
      last = -1;
      p = next;
      continue;
    }
    if (keys.length >= maxHeaders) {
      err ??= parseError('too_many_headers', 'too many header lines');
      break;
    }
    let j = colon + 1;
    while (j < le && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j++;
    let ve = le;
    while (ve > j && (s.charCodeAt(ve - 1) === 32 || s.charCodeAt(ve - 1) === 9)) ve--;
    keys.push(key);
    last = off.length;
    off.push(p, nameEnd, j, ve, next, 0);
    p = next;
  }

  // ---- mandatory and framing headers (one pass, keys are interned constants)
  let iVia = -1, iFrom = -1, iTo = -1, iCallId = -1, iCSeq = -1;
  let dup = '';
  let vias = 0;
  let clCount = 0;
  let cl = -1;
  let clBad = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const b = i * STRIDE;
    if (k === 'via') {
      if (iVia < 0) iVia = i;
      vias += 1 + countCommas(s, off[b + F_VAL], off[b + F_VAL_END]);
    } else if (k === 'from') {
      if (iFrom >= 0) dup = 'From';
      else iFrom = i;
    } else if (k === 'to') {
      if (iTo >= 0) dup = 'To';
      else iTo = i;
    } else if (k === 'call-id') {
      if (iCallId >= 0) dup = 'Call-ID';
      else iCallId = i;
    } else if (k === 'cseq') {
      if (iCSeq >= 0) dup = 'CSeq';
      else iCSeq = i;
    } else if (k === 'content-length') {
      const n = parseUint(s, off[b + F_VAL], off[b + F_VAL_END], 10);
      if (n < 0 || (clCount > 0 && n !== cl)) clBad = true;
      cl = n;
      clCount++;
    }
  }

  let cseq: CSeq | undefined;
  if (iCSeq >= 0) {
    const b = iCSeq * STRIDE;
    const v = s.slice(off[b + F_VAL], off[b + F_VAL_END]);
    cseq = parseCSeqValue(off[b + F_FOLDED] === 1 ? unfold(v) : v);
  }

  // ---- body framing
  let body: Buffer = EMPTY;
  let bodyErr: ParseError | undefined;
  const headOk = headerEnd >= 0 && err?.code !== 'too_many_headers';
  if (headOk && !tooLarge) {
    const avail = total - headerEnd;
    if (clBad) bodyErr = parseError('bad_content_length', clCount > 1 ? 'conflicting Content-Length headers' : 'Content-Length is not a number');
    else if (cl > lim.maxMessageBytes) bodyErr = parseError('too_large', 'Content-Length above the message limit');
    else if (cl > avail) bodyErr = parseError('truncated_body', 'body shorter than Content-Length');
    else {
      const bodyEnd = cl >= 0 ? headerEnd + cl : total;
      // most messages have no body: share the empty Buffer rather than make a view per message
      if (bodyEnd > headerEnd) body = buf.subarray(headerEnd, bodyEnd);
    }
  }
  const w: WireSource = {
    src: s,
    raw: buf,
    msgStart,
    startNext,
    off,
    msgEnd: headerEnd < 0 ? scanLen : headerEnd + body.length,
    bareLf,
    clExact: clCount === 1 && cl === body.length && bodyErr === undefined,
  };
  const method = sl.isRequest ? sl.method : cseq?.method ?? '';
  const msg = new Message(w, sl.isRequest, method, sl.uri, sl.status, sl.reason, keys, body, cseq);

  // ---- verdict, most fundamental problem first
  let verdict = err;
  if (verdict === undefined) {
    const missing = iVia < 0 ? 'Via' : iFrom < 0 ? 'From' : iTo < 0 ? 'To' : iCallId < 0 ? 'Call-ID' : iCSeq < 0 ? 'CSeq' : '';
    if (missing !== '') verdict = parseError('missing_header', `missing ${missing} header`);
    else if (dup === 'CSeq') verdict = parseError('bad_cseq', 'more than one CSeq header');
    else if (dup !== '') verdict = parseError('bad_header', `more than one ${dup} header`);
    else if (cseq === undefined) verdict = parseError('bad_cseq', 'malformed CSeq');
    else if (sl.isRequest && cseq.method !== sl.method) verdict = parseError('bad_cseq', 'CSeq method does not match the request method');
    else if (vias > lim.maxViaDepth) verdict = parseError('via_depth', 'too many Via values');
    else if (tooLarge) verdict = parseError('too_large', 'message above the size limit');
    else if (bodyErr !== undefined) verdict = bodyErr;
    else if (bareCr) verdict = parseError('bad_header', 'bare CR in the header block');
    else {
      // NUL in the head: C-based peers would truncate there (other control characters:
      // validateMessage, on requests only, keeps this per-message scan native and cheap)
      const nul = s.indexOf('\0', msgStart);
      if (nul >= 0 && nul < headerEnd && hasBareControl(s, startNext, headerEnd, true)) verdict = parseError('bad_header', 'NUL byte in the header block');
    }
  }
  if (verdict === undefined) return { ok: true, msg };
  // answerable? a request that carries a Via line: the answer copies what there
  // is of Via/From/To/Call-ID/CSeq and goes back over the connection, by the Via,
  // or to the source address when the Via cannot be used (RFC 4475 insuf, badvers)
  // (unless the header block was cut at a cap: then the missing headers may just be beyond it)
  const complete = iFrom >= 0 && iTo >= 0 && iCallId >= 0 && iCSeq >= 0;
  if (sl.isRequest && iVia >= 0 && (complete || !(tooLarge || err?.code === 'too_many_headers'))) verdict.partial = msg;
  return { ok: false, error: verdict };
}
