// Stream framing for TCP/TLS: find where one message ends without parsing it.
// Looks for the empty line, then reads Content-Length (or compact "l") from
// the header block. Recognises RFC 5626 §3.5.1 CRLF keep-alives.
import type { ParseErrorCode, ParseLimits } from './types.ts';
import * as limitsMod from './limits.ts';
import * as bytesMod from './bytes.ts';

// Module-local copies of imported bindings: under tsx each access to an
// imported binding is a getter call, which is measurable in per-char loops.
const { DEFAULT_PARSE_LIMITS, resolveLimits } = limitsMod;
const { latin1 } = bytesMod;

export type FrameResult =
  | { kind: 'message'; length: number }
  /** `scanned`: bytes already searched for the empty line; pass it back as `from` once more bytes arrived */
  | { kind: 'need-more'; scanned: number }
  /** length 4 = "\r\n\r\n" ping (answer "\r\n"); length 2 = "\r\n" pong (consume) */
  | { kind: 'keepalive'; length: number }
  | { kind: 'error'; code: ParseErrorCode };

const NEED_MORE: FrameResult = Object.freeze({ kind: 'need-more', scanned: 0 });

/**
 * Inspect the start of a stream buffer. On 'message' the caller takes
 * buf.subarray(0, length) to parseMessage and keeps the rest; on 'keepalive'
 * it drops `length` bytes; on 'error' it should close the connection (the
 * stream can no longer be framed). A missing Content-Length counts as 0.
 * `from`: the `scanned` of the last need-more on the same buffer start, so a
 * header block dribbled in small segments is searched once, not once per
 * segment (a 48 KB head in 64-byte segments cost ~47x the CPU of one write).
 */
export function frameStream(buf: Buffer, limits: Partial<ParseLimits> = DEFAULT_PARSE_LIMITS, from = 0): FrameResult {
  const lim = limits === DEFAULT_PARSE_LIMITS ? DEFAULT_PARSE_LIMITS : resolveLimits(limits);
  const maxMsg = lim.maxMessageBytes;
  const maxLine = lim.maxLineBytes;
  const n = buf.length;
  if (n === 0) return NEED_MORE;
  if (buf[0] === 13 || buf[0] === 10) {
    if (n < 2) return NEED_MORE;
    if (buf[0] === 13 && buf[1] === 10) {
      if (n < 4) return n === 3 && buf[2] !== 13 ? { kind: 'keepalive', length: 2 } : NEED_MORE;
      if (buf[2] === 13 && buf[3] === 10) return { kind: 'keepalive', length: 4 };
      return { kind: 'keepalive', length: 2 };
    }
    // stray LF: drop it as a keep-alive byte (RFC 3261 §7.5 lets us ignore leading line breaks)
    return { kind: 'keepalive', length: 1 };
  }
  const window = Math.min(n, maxMsg);
  // the empty line: "\r\n\r\n", or "\n\n" from sloppy senders
  const start = from > 0 && from < window ? from : 0;
  let end = buf.indexOf('\r\n\r\n', start, 'latin1');
  let headLen = end < 0 || end >= window ? -1 : end + 4;
  const lf = buf.indexOf('\n\n', start, 'latin1');
  if (lf >= 0 && lf < window && (headLen < 0 || lf + 2 < headLen)) headLen = lf + 2;
  if (headLen < 0) {
    if (n > maxMsg) return { kind: 'error', code: 'too_large' };
    // a header line that can never end is garbage, not a slow sender
    const lastNl = buf.lastIndexOf(10, window - 1);
    if (window - (lastNl + 1) > maxLine) return { kind: 'error', code: 'line_too_long' };
    // the empty line may straddle the next segment: resume 3 bytes back
    return window > 3 ? { kind: 'need-more', scanned: window - 3 } : NEED_MORE;
  }
  const cl = contentLength(latin1(buf, 0, headLen));
  if (cl === -2) return { kind: 'error', code: 'bad_content_length' };
  const total = headLen + Math.max(cl, 0);
  if (total > maxMsg) return { kind: 'error', code: 'too_large' };
  if (n < total) return { kind: 'need-more', scanned: Math.max(0, headLen - 4) };
  return { kind: 'message', length: total };
}

/** Content-Length from a header block: -1 absent, -2 malformed or conflicting. */
function contentLength(h: string): number {
  let found = -1;
  let p = h.indexOf('\n') + 1; // skip the start line
  while (p > 0 && p < h.length) {
    const nl = h.indexOf('\n', p);
    const le = nl < 0 ? h.length : nl;
    const c = h.charCodeAt(p) | 0x20;
    if (c === 108 || c === 99) {
      // "l" or "content-length", then optional whitespace and ':'
      let j = p;
      if (c === 108) j = p + 1;
      else if (le - p >= 14 && h.slice(p, p + 14).toLowerCase() === 'content-length') j = p + 14;
      else j = -1;
      if (j > 0) {
        while (j < le && (h.charCodeAt(j) === 32 || h.charCodeAt(j) === 9)) j++;
        if (j < le && h.charCodeAt(j) === 58) {
          let a = j + 1;
          let b = le;
          while (a < b && (h.charCodeAt(a) === 32 || h.charCodeAt(a) === 9)) a++;
          while (b > a && (h.charCodeAt(b - 1) === 32 || h.charCodeAt(b - 1) === 9 || h.charCodeAt(b - 1) === 13)) b--;
          if (b === a || b - a > 10) return -2;
          let v = 0;
          for (let k = a; k < b; k++) {
            const d = h.charCodeAt(k) - 48;
            if (d < 0 || d > 9) return -2;
            v = v * 10 + d;
          }
          if (found >= 0 && found !== v) return -2;
          found = v;
        }
      }
    }
    p = nl < 0 ? -1 : nl + 1;
  }
  return found;
}
