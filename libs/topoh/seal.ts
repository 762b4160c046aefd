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
//
// Cost (issue 19): a seal runs on every relayed request. Node's streaming
// objects (createHmac, Buffer.concat, a Buffer per piece) allocated ~8 buffers
// per token, each a separate ArrayBuffer or pool slice that the GC then chases;
// so the plaintext is written into a work buffer owned by the sealer, the HMAC
// is computed by its definition (RFC 2104: two one-shot crypto.hash calls over
// precomputed ipad/opad key blocks, no Hmac object, same bytes as createHmac),
// and the token is assembled in place and read out as base64url once. The
// AES-GCM context itself stays Node's (OpenSSL, constant time): a pure-JS AEAD
// measured 2-4x slower, and OpenSSL can not re-key a context with a new IV.
// The token format is unchanged (tokens are byte-identical to before).
import { createCipheriv, createDecipheriv, hash, hkdfSync, randomFillSync } from 'node:crypto';

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
/** SHA-256 block size: HMAC pads its key to one block */
const BLOCK = 64;
const HASH_BYTES = 32;

const AAD: Record<TokenKind, Buffer> = {
  via: Buffer.from('sbc-topoh/v1/via', 'latin1'),
  uri: Buffer.from('sbc-topoh/v1/uri', 'latin1'),
  callid: Buffer.from('sbc-topoh/v1/callid', 'latin1'),
};
/** room before the plaintext in the work buffer: the HMAC's ipad block and the longest AAD */
const HEAD = BLOCK + Math.max(...Object.values(AAD).map((a) => a.length));

export interface Sealer {
  seal(kind: TokenKind, plain: Uint8Array, nonce: NonceMode): string;
  /** seal the UTF-8 bytes of `text` (no intermediate Buffer) */
  sealText(kind: TokenKind, text: string, nonce: NonceMode): string;
  /** seal what `write` puts into `buf` from `at` (it returns the end); `maxBytes` bounds what it may write */
  sealWith(kind: TokenKind, maxBytes: number, write: (buf: Buffer, at: number) => number, nonce: NonceMode): string;
  /** undefined unless the token was sealed by this key for this kind */
  open(kind: TokenKind, token: string): Buffer | undefined;
}

/** Both keys come from mask_key through HKDF-SHA256 with distinct info labels. */
export function createSealer(maskKey: string): Sealer {
  const ikm = Buffer.from(maskKey, 'utf8');
  const encKey = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, 'aes-256-gcm key', 32));
  const sivKey = Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, 'synthetic iv key', 32));
  // HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)), K zero-padded to a block (RFC 2104)
  const ipadKey = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK + HASH_BYTES, 0x5c);
  for (let i = 0; i < sivKey.length; i++) {
    ipadKey[i] ^= sivKey[i];
    outer[i] ^= sivKey[i];
  }
  // (ipadKey || AAD) per kind: copied right before the plaintext so the inner hash reads one range
  const innerPrefix = {} as Record<TokenKind, Buffer>;
  for (const kind of Object.keys(AAD) as TokenKind[]) innerPrefix[kind] = Buffer.concat([ipadKey, AAD[kind]]);

  // work buffers, reused by every seal (all synchronous) and grown for a large plaintext
  let work = Buffer.allocUnsafe(HEAD + 4096);
  let out = Buffer.allocUnsafe(OVERHEAD + 4096);
  const ensure = (plainBytes: number) => {
    if (HEAD + plainBytes > work.length) work = Buffer.allocUnsafe(HEAD + plainBytes * 2);
    if (OVERHEAD + plainBytes > out.length) out = Buffer.allocUnsafe(OVERHEAD + plainBytes * 2);
  };

  /** the plaintext is work[HEAD, HEAD + len): seal it into the base64url token */
  function sealWork(kind: TokenKind, len: number, mode: NonceMode): string {
    out[0] = VERSION;
    if (mode === 'random') randomFillSync(out, 1, NONCE_BYTES);
    else {
      const prefix = innerPrefix[kind];
      prefix.copy(work, HEAD - prefix.length);
      const inner = hash('sha256', work.subarray(HEAD - prefix.length, HEAD + len), 'binary');
      outer.write(inner, BLOCK, HASH_BYTES, 'latin1');
      out.write(hash('sha256', outer, 'binary'), 1, NONCE_BYTES, 'latin1');
    }
    const cipher = createCipheriv('aes-256-gcm', encKey, out.subarray(1, 1 + NONCE_BYTES), { authTagLength: TAG_BYTES });
    cipher.setAAD(AAD[kind]);
    // GCM is a stream mode: update() returns every ciphertext byte, final() none
    const body = cipher.update(work.subarray(HEAD, HEAD + len));
    cipher.final();
    body.copy(out, 1 + NONCE_BYTES);
    cipher.getAuthTag().copy(out, 1 + NONCE_BYTES + len);
    return out.toString('base64url', 0, OVERHEAD + len);
  }

  return {
    seal(kind, plain, mode) {
      ensure(plain.length);
      work.set(plain, HEAD);
      return sealWork(kind, plain.length, mode);
    },
    sealText(kind, text, mode) {
      // a UTF-8 byte per UTF-16 unit, 3 at most (a surrogate pair's 4 bytes are 2 units)
      ensure(text.length * 3);
      return sealWork(kind, work.write(text, HEAD, 'utf8'), mode);
    },
    sealWith(kind, maxBytes, write, mode) {
      ensure(maxBytes);
      return sealWork(kind, write(work, HEAD) - HEAD, mode);
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
        const plain = decipher.update(body);
        decipher.final(); // GCM: no bytes left, but the tag check happens here
        return plain;
      } catch {
        return undefined; // tag mismatch: tampered, foreign key or other kind
      }
    },
  };
}
