// multipart/* bodies (RFC 2046 §5.1), e.g. SDP + ISUP from SIP-I gateways or
// SDP + PIDF-LO in emergency calls. Parts are Buffer views into the body (no copies).
import { parseParams, unquote } from './scan.ts';
import { latin1 } from './bytes.ts';
import { canonicalKey } from './names.ts';

export interface BodyPart {
  /** part headers in order, names as written */
  headers: [string, string][];
  /** the part's Content-Type value, when it has one */
  contentType?: string;
  body: Buffer;
}

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  const semi = contentType.indexOf(';');
  if (semi < 0 || !contentType.slice(0, semi).trim().toLowerCase().startsWith('multipart/')) return undefined;
  const params = new Map<string, string | null>();
  parseParams(contentType, semi, contentType.length, params);
  const b = params.get('boundary');
  if (b === undefined || b === null) return undefined;
  const v = unquote(b);
  return v.length > 0 && v.length <= 70 ? v : undefined;
}

/**
 * Split a multipart body by the boundary named in `contentType`. Returns
 * undefined when it is not multipart or the body has no opening delimiter.
 * Stops at the close delimiter or at the end of the body.
 */
export function splitMultipart(body: Buffer, contentType: string): BodyPart[] | undefined {
  const boundary = multipartBoundary(contentType);
  if (boundary === undefined) return undefined;
  const s = latin1(body, 0, body.length);
  const delim = '--' + boundary;
  let i = s.startsWith(delim) ? 0 : s.indexOf('\n' + delim);
  if (i < 0) return undefined;
  if (i > 0) i += 1;
  const parts: BodyPart[] = [];
  for (;;) {
    let p = i + delim.length;
    if (s.startsWith('--', p)) break; // close delimiter
    const eol = s.indexOf('\n', p);
    if (eol < 0) break;
    p = eol + 1;
    // next delimiter: CRLF (or LF) + "--boundary"
    let next = s.indexOf('\n' + delim, p - 1);
    if (next < 0) next = s.length;
    let bodyEnd = next;
    if (bodyEnd > p && s.charCodeAt(bodyEnd - 1) === 13) bodyEnd--;
    parts.push(parsePart(body, s, p, Math.max(bodyEnd, p)));
    if (next >= s.length) break;
    i = next + 1;
  }
  return parts;
}

function parsePart(body: Buffer, s: string, start: number, end: number): BodyPart {
  const headers: [string, string][] = [];
  let contentType: string | undefined;
  let p = start;
  let bodyStart = start;
  // an immediate empty line means no part headers
  for (;;) {
    if (p >= end) {
      bodyStart = end;
      break;
    }
    const nl = s.indexOf('\n', p);
    const le0 = nl < 0 || nl > end ? end : nl;
    const le = le0 > p && s.charCodeAt(le0 - 1) === 13 ? le0 - 1 : le0;
    if (le === p) {
      bodyStart = Math.min(le0 + 1, end);
      break;
    }
    const colon = s.indexOf(':', p);
    if (colon > p && colon < le) {
      const name = s.slice(p, colon).trim();
      const value = s.slice(colon + 1, le).trim();
      headers.push([name, value]);
      if (contentType === undefined && canonicalKey(name) === 'content-type') contentType = value;
    }
    p = le0 + 1;
  }
  const part: BodyPart = { headers, body: body.subarray(bodyStart, end) };
  if (contentType !== undefined) part.contentType = contentType;
  return part;
}
