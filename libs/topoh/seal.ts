// Authenticated sealing of topoh tokens: AES-256-GCM under a key derived from
// the operator's mask_key, output as base64url (RFC 4648 §5) so a token is
// valid inside a SIP token / uri-param / Call-ID word without escaping.
//
// Token bytes: version(1) || nonce(12) || ciphertext || tag(16).
// The kind ('via' | 'uri' | 'callid') is bound as AAD, so a token minted for
// one header cannot be replayed into another.
//
// Nonces are synthetic by default (first 12 bytes of HMAC-SHA256 over kind and
// plaintext, the SIV idea): the same input gives the same token on every node.
// Call-IDs need this (one dialog, one Call-ID at the far end); Via and URI
// tokens benefit too (a stateless retransmission or CANCEL keeps its branch, a
// REGISTER refresh keeps its Contact binding). Two different plaintexts share
// a nonce only on a 96-bit HMAC collision (birthday bound ~2^48 tokens per
// key). Random nonces remain available for Via/URI when equality must not show.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export type TokenKind = 'via' | 'uri' | 'callid';
export type NonceMode = 'synthetic' | 'random';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES;
/** decode refuses longer input before any crypto work (parseUri caps URIs at 64 KiB too) */
export const MAX_TOKEN_CHARS = 65535;
const HKDF_SALT = Buffer.from('sbc-topoh/v1', 'latin1');
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const AAD: Record<TokenKind, Buffer> = {
  via: Buffer.from('sbc-topoh/v1/via', 'latin1'),
  uri: Buffer.from('sbc-topoh/v1/uri', 'latin1'),
  callid: Buffer.from('sbc-topoh/v1/callid', 'latin1'),
};

export interface Sealer {
  seal(kind: TokenKind, plain: Buffer, nonce: NonceMode): string;
  /** undefined unless the token was sealed by this key for this kind */
  open(kind: TokenKind, token: string): Buffer | undefined;
}

/** Both keys come from mask_key through HKDF-SHA256 with distinct info labels. */
export function createSealer(maskKey: string): Sealer {
  const ikm = Buffer.from(maskKey, 'utf8');
  const encKey = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, 'aes-256-gcm key', 32));
  const sivKey = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, 'synthetic iv key', 32));

  function syntheticNonce(kind: TokenKind, plain: Buffer): Buffer {
    return createHmac('sha256', sivKey).update(AAD[kind]).update(plain).digest().subarray(0, NONCE_BYTES);
  }

  return {
    seal(kind, plain, mode) {
      const nonce = mode === 'random' ? randomBytes(NONCE_BYTES) : syntheticNonce(kind, plain);
      const cipher = createCipheriv('aes-256-gcm', encKey, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(AAD[kind]);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      const out = Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()]);
      return out.toString('base64url');
    },
    open(kind, token) {
      if (token.length === 0 || token.length > MAX_TOKEN_CHARS || !BASE64URL.test(token)) return undefined;
      const raw = Buffer.from(token, 'base64url');
      // Buffer's decoder ignores stray trailing bits: insist on the canonical
      // spelling so one token has exactly one accepted form.
      if (raw.length < OVERHEAD || raw[0] !== VERSION || raw.toString('base64url') !== token) return undefined;
      const nonce = raw.subarray(1, 1 + NONCE_BYTES);
      const tag = raw.subarray(raw.length - TAG_BYTES);
      const body = raw.subarray(1 + NONCE_BYTES, raw.length - TAG_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', encKey, nonce, { authTagLength: TAG_BYTES });
        decipher.setAAD(AAD[kind]);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        return undefined; // tag mismatch: tampered, foreign key or other kind
      }
    },
  };
}
