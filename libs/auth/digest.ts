// Digest computations (RFC 7616 §3.4.1, RFC 8760 for SIP): HA1 from a
// password (calculate_ha1), HA2 and the expected response for qop=auth or
// no qop, and a constant-time comparison. Only HA1 is ever stored.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DigestAlgorithm, DigestCredentials } from './credentials.ts';

const NODE_HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** Wire text is a byte string (one char per byte: libs/sip reads latin1); operator text is UTF-8. */
export function hashHex(algorithm: DigestAlgorithm, text: string, encoding: 'latin1' | 'utf8' = 'latin1'): string {
  return createHash(NODE_HASH[algorithm]).update(text, encoding).digest('hex');
}

/** H(username:realm:password): what the subscriber store keeps per algorithm. */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`, 'utf8');
}

/** The response a client knowing the password sends for this request. */
export function expectedResponse(c: DigestCredentials, ha1: string, method: string): string {
  const ha2 = hashHex(c.algorithm, `${method}:${c.uri}`);
  return c.qop === 'auth'
    ? hashHex(c.algorithm, `${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:auth:${ha2}`)
    : hashHex(c.algorithm, `${ha1}:${c.nonce}:${ha2}`);
}

/** Constant-time comparison of two lower-case hex digests. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1'));
}
