// SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966). Index-based, no regex.
import type { SipUri } from './types.ts';
import * as scanMod from './scan.ts';

// Module-local copies of imported bindings: under tsx each access to an
// imported binding is a getter call, which is measurable in per-char loops.
const { TOKEN, isHex } = scanMod;

/** host chars: alphanum, '-', '.', plus '_' which real DNS names carry (table: one load per char) */
const HOST_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95) HOST_CHAR[c] = 1;
}
function isHostChar(c: number): boolean {
  return c < 128 && HOST_CHAR[c] === 1;
}

// What parseUri's scan of a URI does with each char below 127 (127 and up
// are forbidden): one table load per char instead of a chain of compares.
const PLAIN = 0;
/** may never appear unescaped in a URI we accept */
const FORBIDDEN = 1;
/** '@' '?' ':' ';' '%': positions the scan records */
const MARK = 2;
const URI_CHAR = new Uint8Array(127);
for (let c = 0; c < 127; c++) {
  if (c <= 32 || c === 34 || c === 60 || c === 62 || c === 92 || c === 94 || c === 96 || c === 123 || c === 124 || c === 125) URI_CHAR[c] = FORBIDDEN;
  else if (c === 64 || c === 63 || c === 58 || c === 59 || c === 37) URI_CHAR[c] = MARK;
  else URI_CHAR[c] = PLAIN;
}

/** %HH escapes must be complete */
function escapesOk(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) === 37) {
      if (i + 2 >= end || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
    }
  }
  return true;
}

export interface HostPort {
  host: string;
  port: number | undefined;
  /** index just after the host[:port] */
  next: number;
}

/**
 * Scan host[:port] starting at s[start], stopping at the first char that
 * cannot continue it (or at `end`). undefined on a syntax error. Shared with
 * the Via sent-by parser; callers check what follows `next`.
 */
export function scanHostPort(s: string, start: number, end: number): HostPort | undefined {
  if (start >= end) return undefined;
  let i = start;
  if (s.charCodeAt(i) === 91) {
    // IPv6 reference
    const close = s.indexOf(']', i + 1);
    if (close < 0 || close >= end || close === i + 1) return undefined;
    let colons = 0;
    for (let j = i + 1; j < close; j++) {
      const c = s.charCodeAt(j);
      if (c === 58) colons++;
      else if (!isHex(c) && c !== 46) return undefined;
    }
    if (colons < 2) return undefined;
    i = close + 1;
  } else {
    while (i < end && isHostChar(s.charCodeAt(i))) i++;
    if (i === start) return undefined;
  }
  const host = s.slice(start, i);
  if (i >= end || s.charCodeAt(i) !== 58) return { host, port: undefined, next: i };
  const ps = i + 1;
  let port = 0;
  i = ps;
  while (i < end && i - ps < 6) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    port = port * 10 + (c - 48);
    i++;
  }
  if (i === ps || port > 65535) return undefined;
  return { host, port, next: i };
}

/** host[:port] filling exactly s[start, end) */
export function parseHostPort(s: string, start: number, end: number): HostPort | undefined {
  const hp = scanHostPort(s, start, end);
  return hp !== undefined && hp.next === end ? hp : undefined;
}

/** `escapes`: the URI holds a '%' somewhere (else every escape check passes trivially) */
function parseUriParams(s: string, i: number, end: number, params: Map<string, string | null>, escapes: boolean): boolean {
  // s[i] is ';' or i === end
  while (i < end) {
    let j = i + 1;
    let eq = -1;
    while (j < end) {
      const c = s.charCodeAt(j);
      if (c === 59) break;
      if (c === 61 && eq < 0) eq = j;
      j++;
    }
    const nameEnd = eq < 0 ? j : eq;
    if (nameEnd === i + 1) return false;
    for (let k = i + 1; k < nameEnd; k++) {
      const c = s.charCodeAt(k);
      if (TOKEN[c] !== 1 && c !== 91 && c !== 93 && c !== 47 && c !== 58 && c !== 38 && c !== 36) return false;
    }
    if (escapes && !escapesOk(s, i + 1, j)) return false;
    params.set(s.slice(i + 1, nameEnd).toLowerCase(), eq < 0 ? null : s.slice(eq + 1, j));
    i = j;
  }
  return true;
}

/** Parse a URI. Returns undefined for other schemes and for malformed URIs. */
export function parseUri(text: string): SipUri | undefined {
  const s = text;
  const end = s.length;
  if (end < 4 || end > 65535) return undefined;
  let scheme: SipUri['scheme'];
  const c0 = s.charCodeAt(0) | 0x20;
  const c1 = s.charCodeAt(1) | 0x20;
  const c2 = s.charCodeAt(2) | 0x20;
  const c3 = s.charCodeAt(3);
  let i: number;
  if (c0 === 115 && c1 === 105 && c2 === 112) {
    if (c3 === 58) {
      scheme = 'sip';
      i = 4;
    } else if ((c3 | 0x20) === 115 && s.charCodeAt(4) === 58) {
      scheme = 'sips';
      i = 5;
    } else return undefined;
  } else if (c0 === 116 && c1 === 101 && c2 === 108 && c3 === 58) {
    scheme = 'tel';
    i = 4;
  } else return undefined;

  // one pass: forbidden chars, first '@' (before any '?') and the first ':' before it,
  // first '?', first ';' after that '@' (or after the scheme), whether any '%'
  let at = -1;
  let q = -1;
  let pc = -1;
  let semi = -1;
  let escapes = false;
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c >= 127) return undefined;
    const kind = URI_CHAR[c];
    if (kind === PLAIN) continue;
    if (kind === FORBIDDEN) return undefined;
    if (c === 64) {
      if (at < 0 && q < 0) {
        at = j;
        semi = -1; // a ';' in the userinfo does not end the host
      }
    } else if (c === 63) {
      if (q < 0) q = j;
    } else if (c === 58) {
      if (at < 0 && pc < 0) pc = j;
    } else if (c === 59) {
      if (semi < 0) semi = j;
    } else escapes = true;
  }
  const params = new Map<string, string | null>();
  if (scheme === 'tel') {
    // telephone-subscriber: number then ;params. Visual separators and '+' allowed.
    const ns = i;
    while (i < end && s.charCodeAt(i) !== 59) {
      const c = s.charCodeAt(i);
      if (!(isHex(c) || c === 43 || c === 45 || c === 46 || c === 40 || c === 41 || c === 42 || c === 35)) return undefined;
      i++;
    }
    if (i === ns) return undefined;
    if (!parseUriParams(s, i, end, params, escapes)) return undefined;
    return { scheme, user: s.slice(ns, i), host: '', params };
  }

  return sipUri(s, scheme, i, at, pc, q, semi, escapes, params)
    // RFC 3261 user-unreserved allows '?' (and ';') in the user part (RFC 4475
    // intmeth): when the '@' came after a '?', read it as the end of the userinfo
    ?? (at < 0 ? userWithQueryChars(s, scheme, i, escapes) : undefined);
}

/**
 * Retry of parseUri for `sip:us?er@host`: the first '@' ends the userinfo
 * even after a '?' (parseUri's first reading takes the '?' as the start of
 * the headers, where '@' is common: ?Replaces=id@host). Only runs when that
 * first reading failed.
 */
function userWithQueryChars(s: string, scheme: SipUri['scheme'], i: number, escapes: boolean): SipUri | undefined {
  const at = s.indexOf('@', i);
  if (at < 0) return undefined;
  const pc = s.indexOf(':', i);
  let q = s.indexOf('?', at + 1);
  let semi = s.indexOf(';', at + 1);
  if (q >= 0 && semi > q) semi = -1;
  if (q < 0) q = -1;
  return sipUri(s, scheme, i, at, pc >= 0 && pc < at ? pc : -1, q, semi, escapes, new Map());
}

/** the userinfo, hostport, params and headers of a sip/sips URI, at the positions parseUri's scan found */
function sipUri(s: string, scheme: SipUri['scheme'], i: number, at: number, pc: number, q: number, semi: number, escapes: boolean, params: Map<string, string | null>): SipUri | undefined {
  const end = s.length;
  let user: string | undefined;
  let password: string | undefined;
  // '@' after '?' belongs to a header value (Replaces=callid@host): no userinfo then.
  if (at >= 0) {
    if (pc >= 0 && pc < at) {
      user = s.slice(i, pc);
      password = s.slice(pc + 1, at);
    } else {
      user = s.slice(i, at);
    }
    if (user.length === 0 || (escapes && !escapesOk(s, i, at))) return undefined;
    i = at + 1;
  }
  // the host ends at the first ';' or '?' after it starts (the scan's `semi` and `q`)
  let hpEnd = end;
  if (semi >= 0) hpEnd = semi;
  if (q >= 0 && q < hpEnd) hpEnd = q;
  const hp = parseHostPort(s, i, hpEnd);
  if (hp === undefined) return undefined;
  const pEnd = q >= hpEnd ? q : end;
  if (hpEnd < pEnd && !parseUriParams(s, hpEnd, pEnd, params, escapes)) return undefined;
  const uri: SipUri = { scheme, user, password, host: hp.host, port: hp.port, params, headers: undefined };
  if (pEnd < end) {
    if (escapes && !escapesOk(s, pEnd + 1, end)) return undefined;
    uri.headers = s.slice(pEnd + 1);
  }
  return uri;
}

/**
 * RFC 3261 absoluteURI in outline, for schemes we do not parse (isbn:,
 * http:, urn:, a bare name:): scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" /
 * "." ), ":", then at least one printable char that is not SP, '"', '<' or '>'.
 * Syntax only: whether such a URI is acceptable is policy.
 */
export function isAbsoluteUri(text: string): boolean {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return false;
  for (let i = 0; i < colon; i++) {
    const c = text.charCodeAt(i);
    const alpha = (c | 0x20) >= 97 && (c | 0x20) <= 122;
    if (!alpha && (i === 0 || !((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46))) return false;
  }
  for (let i = colon + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 34 || c === 60 || c === 62) return false;
  }
  return true;
}

export function formatUri(uri: SipUri): string {
  let out = uri.scheme + ':';
  if (uri.scheme === 'tel') {
    out += uri.user ?? '';
  } else {
    if (uri.user !== undefined) {
      out += uri.user;
      if (uri.password !== undefined) out += ':' + uri.password;
      out += '@';
    }
    out += uri.host;
    if (uri.port !== undefined) out += ':' + uri.port;
  }
  for (const [k, v] of uri.params) out += v === null ? ';' + k : ';' + k + '=' + v;
  if (uri.headers !== undefined) out += '?' + uri.headers;
  return out;
}

/** Default port for a URI / transport when none is written. */
export function defaultPort(secure: boolean): number {
  return secure ? 5061 : 5060;
}
