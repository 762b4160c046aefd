// Digest credentials (Authorization / Proxy-Authorization, RFC 3261 §22.4,
// RFC 7616 §3.4) parsed defensively: every size is bounded, quoting is
// checked, duplicates and unknown algorithms are named failures, never
// exceptions. The caller maps each failure reason to 400 or a new challenge.

/** Digest algorithms this node can verify (RFC 7616 / RFC 8760 names). */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  /** 'auth' or absent (RFC 2069 compatibility: no nc/cnonce) */
  qop?: 'auth';
  /** the nonce count as sent (8 hex digits), lower-cased */
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** Why a credentials value was refused. */
export type CredentialsProblem =
  | 'not_digest'
  | 'too_long'
  | 'bad_syntax'
  | 'duplicate_param'
  | 'missing_param'
  | 'unknown_algorithm'
  | 'unsupported_qop'
  | 'bad_nc'
  | 'bad_response';

export type CredentialsResult =
  | { ok: true; credentials: DigestCredentials }
  /** realm is given when it could be read, so the caller knows whether the value was meant for it */
  | { ok: false; problem: CredentialsProblem; detail: string; realm?: string };

export const CREDENTIALS_LIMITS = {
  /** whole header value */
  maxValueChars: 4096,
  /** any one parameter value */
  maxParamChars: 512,
  maxParams: 16,
} as const;

const TOKEN_CHAR = /[A-Za-z0-9.!%*_+`'~-]/;
const HEX8 = /^[0-9a-fA-F]{8}$/;
const HEX_RESPONSE: Record<DigestAlgorithm, RegExp> = { MD5: /^[0-9a-fA-F]{32}$/, 'SHA-256': /^[0-9a-fA-F]{64}$/ };
const REQUIRED = ['username', 'realm', 'nonce', 'uri', 'response'] as const;

const fail = (problem: CredentialsProblem, detail: string, realm?: string): CredentialsResult =>
  realm === undefined ? { ok: false, problem, detail } : { ok: false, problem, detail, realm };

/** Parses one Authorization / Proxy-Authorization value. Never throws. */
export function parseCredentials(value: string): CredentialsResult {
  if (value.length > CREDENTIALS_LIMITS.maxValueChars) return fail('too_long', `credentials longer than ${CREDENTIALS_LIMITS.maxValueChars} chars`);
  const m = /^\s*([A-Za-z]+)\s+/.exec(value);
  if (m === null || m[1].toLowerCase() !== 'digest') return fail('not_digest', 'scheme is not Digest');
  const params = parseParams(value, m[0].length);
  if (typeof params === 'string') return fail(params === 'dup' ? 'duplicate_param' : params === 'many' ? 'too_long' : 'bad_syntax', describe(params));
  return fromParams(params);
}

function describe(e: 'dup' | 'many' | 'syntax' | 'long'): string {
  switch (e) {
    case 'dup': return 'a parameter appears twice';
    case 'many': return `more than ${CREDENTIALS_LIMITS.maxParams} parameters`;
    case 'long': return `a parameter value longer than ${CREDENTIALS_LIMITS.maxParamChars} chars`;
    default: return 'bad parameter syntax (unterminated quote, missing "=", stray characters)';
  }
}

function fromParams(p: Map<string, string>): CredentialsResult {
  const realm = p.get('realm');
  for (const name of REQUIRED) {
    if (!p.get(name)) return fail('missing_param', `no ${name} parameter`, realm);
  }
  const algoText = p.get('algorithm') ?? 'MD5';
  const algorithm = algoText.toUpperCase() === 'MD5' ? 'MD5' : algoText.toUpperCase() === 'SHA-256' ? 'SHA-256' : undefined;
  if (algorithm === undefined) return fail('unknown_algorithm', `algorithm ${algoText.slice(0, 32)} is not offered`, realm);
  const response = p.get('response')!;
  if (!HEX_RESPONSE[algorithm].test(response)) return fail('bad_response', `response is not a ${algorithm} hex digest`, realm);
  const c: DigestCredentials = { username: p.get('username')!, realm: realm!, nonce: p.get('nonce')!, uri: p.get('uri')!, response: response.toLowerCase(), algorithm };
  const qop = p.get('qop');
  if (qop !== undefined) {
    if (qop.toLowerCase() !== 'auth') return fail('unsupported_qop', `qop ${qop.slice(0, 32)} is not offered`, realm);
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    if (nc === undefined || !HEX8.test(nc)) return fail('bad_nc', 'qop=auth needs nc of 8 hex digits', realm);
    if (!cnonce) return fail('missing_param', 'qop=auth needs a cnonce', realm);
    c.qop = 'auth';
    c.nc = nc.toLowerCase();
    c.cnonce = cnonce;
  }
  const opaque = p.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  return { ok: true, credentials: c };
}

/** name=value pairs separated by commas; values are tokens or quoted strings. */
function parseParams(s: string, start: number): Map<string, string> | 'dup' | 'many' | 'syntax' | 'long' {
  const out = new Map<string, string>();
  let i = start;
  const end = s.length;
  for (;;) {
    i = skipSpace(s, i);
    if (i >= end) return out.size > 0 ? out : 'syntax';
    const nameStart = i;
    while (i < end && /[A-Za-z0-9_-]/.test(s[i])) i++;
    if (i === nameStart || i - nameStart > 32) return 'syntax';
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipSpace(s, i);
    if (s[i] !== '=') return 'syntax';
    i = skipSpace(s, i + 1);
    const v = readValue(s, i);
    if (v === undefined) return 'syntax';
    if (v.value.length > CREDENTIALS_LIMITS.maxParamChars) return 'long';
    if (out.has(name)) return 'dup';
    if (out.size >= CREDENTIALS_LIMITS.maxParams) return 'many';
    out.set(name, v.value);
    i = skipSpace(s, v.next);
    if (i >= end) return out;
    if (s[i] !== ',') return 'syntax';
    i++;
  }
}

function readValue(s: string, i: number): { value: string; next: number } | undefined {
  if (s[i] === '"') {
    let value = '';
    for (let j = i + 1; j < s.length; j++) {
      const c = s[j];
      if (c === '\\') {
        if (j + 1 >= s.length) return undefined;
        value += s[++j];
      } else if (c === '"') return { value, next: j + 1 };
      else if (c === '\r' || c === '\n') return undefined;
      else value += c;
    }
    return undefined;
  }
  let j = i;
  while (j < s.length && TOKEN_CHAR.test(s[j])) j++;
  return j === i ? undefined : { value: s.slice(i, j), next: j };
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  return i;
}
