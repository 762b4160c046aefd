// Header names: canonical keys, compact forms (RFC 3261 §7.3.3 and later RFCs),
// the pretty spelling used when we emit a new header, and which headers carry
// comma-separated lists. The recogniser works on offsets into the message
// string so indexing a header costs no allocation for known names.

/** compact letter -> canonical lower-case key */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
});

/** Spelling used when we create a header line ourselves. */
const PRETTY: readonly string[] = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Accept-Resource-Priority',
  'Alert-Info', 'Allow', 'Allow-Events', 'Authentication-Info', 'Authorization', 'Call-ID',
  'Call-Info', 'Contact', 'Content-Disposition', 'Content-Encoding', 'Content-Language',
  'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Diversion', 'Error-Info', 'Event', 'Expires',
  'From', 'History-Info', 'Identity', 'Identity-Info', 'In-Reply-To', 'Max-Forwards',
  'Min-Expires', 'Min-SE', 'MIME-Version', 'Organization', 'P-Asserted-Identity',
  'P-Preferred-Identity', 'Path', 'Priority', 'Privacy', 'Proxy-Authenticate',
  'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route', 'Refer-To',
  'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition', 'Require',
  'Resource-Priority', 'Retry-After', 'Route', 'RSeq', 'Security-Client', 'Security-Server',
  'Security-Verify', 'Server', 'Service-Route', 'Session-Expires', 'SIP-ETag', 'SIP-If-Match',
  'Subject', 'Subscription-State', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent',
  'Via', 'Warning', 'WWW-Authenticate',
];

/**
 * Headers whose value is a comma-separated list (RFC 3261 §7.3.1) and which
 * headerValues() splits. Authorization-type headers are NOT here: their
 * parameters are separated by commas inside one value.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'route', 'record-route', 'contact', 'path', 'service-route', 'allow', 'supported',
  'require', 'proxy-require', 'unsupported', 'accept', 'accept-encoding', 'accept-language',
  'allow-events', 'content-encoding', 'content-language', 'p-asserted-identity',
  'p-preferred-identity', 'history-info', 'diversion', 'reason', 'warning', 'call-info',
  'alert-info', 'error-info', 'in-reply-to', 'security-client', 'security-server',
  'security-verify', 'accept-contact', 'reject-contact', 'request-disposition',
]);

const prettyByKey = new Map<string, string>();
/** canonical key strings, interned so the hot path compares them by identity */
const knownKeys: string[] = [];
for (const p of PRETTY) {
  const k = p.toLowerCase();
  prettyByKey.set(k, p);
  knownKeys.push(k);
}
for (const k of LIST_HEADERS) if (!prettyByKey.has(k)) throw new Error(`names.ts: ${k} lacks a pretty form`);

/** compact letter code (lower-case) -> key */
const compactByCode: (string | undefined)[] = new Array(128).fill(undefined);
for (const [c, k] of Object.entries(COMPACT_FORMS)) compactByCode[c.charCodeAt(0)] = k;

// Bucket known names by (length, first letter) in a flat array. Recognition
// is one array load, then an exact compare with the usual spelling
// ("Call-ID", "Max-Forwards"); other casings fall back to a case-folding
// compare. Per-char JS loops are what cost most here.
const BUCKET_LEN_MAX = 31;
const bucketKeys: (string[] | undefined)[] = new Array((BUCKET_LEN_MAX + 1) * 32).fill(undefined);
const bucketPretty: (string[] | undefined)[] = new Array((BUCKET_LEN_MAX + 1) * 32).fill(undefined);
function bucketId(len: number, first: number): number {
  return len * 32 + (first & 31);
}
for (const k of knownKeys) {
  if (k.length > BUCKET_LEN_MAX) throw new Error(`names.ts: ${k} is longer than the bucket table`);
  const id = bucketId(k.length, k.charCodeAt(0));
  (bucketKeys[id] ??= []).push(k);
  (bucketPretty[id] ??= []).push(prettyByKey.get(k) as string);
}

/** RFC 3261 token chars */
const TOKEN_CHARS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-.!%*_+`'~]/.test(ch)) TOKEN_CHARS[c] = 1;
}

function knownAt(s: string, start: number, len: number): string | undefined {
  const id = bucketId(len, s.charCodeAt(start));
  const keys = len <= BUCKET_LEN_MAX ? bucketKeys[id] : undefined;
  if (keys === undefined) return undefined;
  const pretty = bucketPretty[id] as string[];
  // exact usual spelling first: a plain char loop beats a startsWith builtin call here
  usual: for (let j = 0; j < keys.length; j++) {
    const k = pretty[j];
    for (let i = 1; i < len; i++) if (s.charCodeAt(start + i) !== k.charCodeAt(i)) continue usual;
    if (s.charCodeAt(start) === k.charCodeAt(0)) return keys[j];
  }
  outer: for (let j = 0; j < keys.length; j++) {
    const k = keys[j];
    for (let i = 0; i < len; i++) {
      // k holds only letters, digits and '-', for which |0x20 folds case exactly
      // (a char c with c|0x20 === '-' is CR or '-', and CR is rejected as a token char)
      const c = s.charCodeAt(start + i);
      const kc = k.charCodeAt(i);
      if (c !== kc && ((c | 0x20) !== kc || TOKEN_CHARS[c] !== 1)) continue outer;
    }
    return k;
  }
  return undefined;
}

/**
 * Canonical key for the header name in s[start, end), or '' when the name
 * is not a token. Known names return an interned constant (no allocation).
 */
export function recognizeName(s: string, start: number, end: number): string {
  const len = end - start;
  if (len === 1) {
    const c = s.charCodeAt(start) | 0x20;
    const k = c < 128 ? compactByCode[c] : undefined;
    if (k !== undefined) return k;
  } else {
    const k = knownAt(s, start, len);
    if (k !== undefined) return k;
  }
  for (let i = start; i < end; i++) if (TOKEN_CHARS[s.charCodeAt(i)] !== 1) return '';
  return s.slice(start, end).toLowerCase();
}

/** Like recognizeName, for names given by our own callers: never ''. */
export function keyAt(s: string, start: number, end: number): string {
  const k = recognizeName(s, start, end);
  return k !== '' ? k : s.slice(start, end).toLowerCase();
}

function canonicalKeyOf(name: string): string {
  const n = name.trim();
  return n.length === 0 ? '' : keyAt(n, 0, n.length);
}

/**
 * Callers name headers with a few constant spellings ('via', 'Via', 'v',
 * 'Max-Forwards'): one Map lookup answers those instead of a trim and a
 * char-by-char recognition on every header(), hasHeader(), prependHeader()...
 * Filled from canonicalKeyOf itself, so the answer cannot differ.
 */
const keyByName = new Map<string, string>();
for (const k of knownKeys) {
  const p = prettyByKey.get(k) as string;
  keyByName.set(k, canonicalKeyOf(k));
  keyByName.set(p, canonicalKeyOf(p));
}
for (const c of Object.keys(COMPACT_FORMS)) {
  keyByName.set(c, canonicalKeyOf(c));
  keyByName.set(c.toUpperCase(), canonicalKeyOf(c.toUpperCase()));
}

/** Canonical key of a header name given by a caller ("V", "Call-Id", "via"). */
export function canonicalKey(name: string): string {
  return keyByName.get(name) ?? canonicalKeyOf(name);
}

/** Spelling to emit for a new header line. */
export function prettyName(name: string): string {
  const k = canonicalKey(name);
  return prettyByKey.get(k) ?? name.trim();
}

export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}
