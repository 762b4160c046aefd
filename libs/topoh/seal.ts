// Authenticated sealing of topoh tokens under keys derived from the operator's
// mask_key, output as base64url (RFC 4648 §5) so a token is valid inside a
// SIP token / uri-param / Call-ID word without escaping. The kind ('via' |
// 'uri' | 'callid') is authenticated with the plaintext, so a token minted for
// one header cannot be replayed into another. Every node opens both formats;
// it writes the one `topology.token_version` names.
//
// Version 2 (default), SIV (RFC 5297's construction, with HMAC as its PRF):
//   0x02 || siv(16) || ciphertext              (synthetic)
//   0x03 || r(12) || siv(16) || ciphertext     (random nonce r)
// siv = first 16 bytes of HMAC-SHA256(mac key, kind || version || [r] || plaintext),
// ciphertext = plaintext XOR AES-256-CTR keystream whose counter blocks are
// siv[0..12) || (siv[12..16) + i mod 2^32). Opening decrypts, recomputes the
// HMAC and compares in constant time. The same input gives the same token on
// every node writing this format (a retransmission or CANCEL relayed by
// another node keeps its branch), and two plaintexts share a keystream only
// on a 128-bit HMAC collision. Call-IDs, which must never change within a
// dialog, are always sealed in version 1 (codec.ts).
// Why (issue 19): the keystream comes from one AES-256-ECB context made once
// per sealer and reused by every token (ECB of the counter blocks = CTR), so
// a token costs two one-shot hashes and one update(); version 1 makes a new
// OpenSSL GCM context per token (Node can not re-IV one): in a running node
// the Via seals took 6.0% of its CPU in version 1, 3.6% in version 2
// (docs/benchmarks.md, session 9).
//
// Version 1 (the format of earlier builds): 0x01 || nonce(12) || ciphertext ||
// tag(16), AES-256-GCM with the kind as AAD, nonce = first 12 bytes of
// HMAC-SHA256(siv key, kind || plaintext) or random.
//
// HMACs are computed by their definition (RFC 2104: two one-shot crypto.hash
// calls over precomputed ipad/opad key blocks, no Hmac object), the
// plaintext is written into a work buffer the sealer owns, and the token is
// assembled in place and read out as base64url once: no Buffer per piece.
import { createCipheriv, createDecipheriv, hash, hkdfSync, randomFillSync, timingSafeEqual, type Cipher } from 'node:crypto';

export type TokenKind = 'via' | 'uri' | 'callid';
export type NonceMode = 'synthetic' | 'random';
/** the token format a sealer writes (it opens both) */
export type TokenVersion = 1 | 2;
export const TOKEN_VERSIONS: readonly TokenVersion[] = [1, 2];

const VERSION = 1;
const SIV_SYNTHETIC = 2;
const SIV_RANDOM = 3;
const SIV_BYTES = 16;
const AES_BLOCK = 16;
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
/** room before the plaintext in the work buffer: the HMAC's ipad block, the longest AAD, a version byte and a nonce */
const HEAD = BLOCK + Math.max(...Object.values(AAD).map((a) => a.length)) + 1 + NONCE_BYTES;

export interface Sealer {
  seal(kind: TokenKind, plain: Uint8Array, nonce: NonceMode): string;
  /** seal the UTF-8 bytes of `text` (no intermediate Buffer) */
  sealText(kind: TokenKind, text: string, nonce: NonceMode): string;
  /** seal what `write` puts into `buf` from `at` (it returns the end); `maxBytes` bounds what it may write */
  sealWith(kind: TokenKind, maxBytes: number, write: (buf: Buffer, at: number) => number, nonce: NonceMode): string;
  /** undefined unless the token was sealed by this key for this kind (either format) */
  open(kind: TokenKind, token: string): Buffer | undefined;
  /** the same keys and buffers, writing format `version` */
  as(version: TokenVersion): Sealer;
}

/** An HMAC-SHA256 key as its two padded blocks (RFC 2104), for hmacInto. */
interface HmacKey {
  readonly ipad: Buffer;
  /** opad block followed by room for the inner hash */
  readonly outer: Buffer;
}

function hmacKey(key: Buffer): HmacKey {
  // HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)), K zero-padded to a block
  const ipad = Buffer.alloc(BLOCK, 0x36);
  const outer = Buffer.alloc(BLOCK + HASH_BYTES, 0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i] ^= key[i];
    outer[i] ^= key[i];
  }
  return { ipad, outer };
}

/** HMAC over buf[from, to), whose first BLOCK bytes already hold key.ipad; `bytes` of it written into dst at `at` */
function hmacInto(key: HmacKey, buf: Buffer, from: number, to: number, dst: Buffer, at: number, bytes: number): void {
  key.outer.write(hash('sha256', buf.subarray(from, to), 'binary'), BLOCK, HASH_BYTES, 'latin1');
  dst.write(hash('sha256', key.outer, 'binary'), at, bytes, 'latin1');
}

/** Every key comes from mask_key through HKDF-SHA256 with its own info label. */
export function createSealer(maskKey: string, version: TokenVersion = 2): Sealer {
  const ikm = Buffer.from(maskKey, 'utf8');
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', ikm, HKDF_SALT, label, 32));
  const gcmKey = derive('aes-256-gcm key');
  const v1Mac = hmacKey(derive('synthetic iv key'));
  const v2Mac = hmacKey(derive('siv v2 hmac-sha256 key'));
  // the one AES context of version 2: ECB over counter blocks is the CTR keystream
  const ecb: Cipher = createCipheriv('aes-256-ecb', derive('siv v2 aes-256-ctr key'), null);
  ecb.setAutoPadding(false);

  // (ipad || AAD || tail) per kind, copied right before the plaintext so the inner hash reads one range
  const prefixes = (mac: HmacKey, tail: Buffer) =>
    Object.fromEntries((Object.keys(AAD) as TokenKind[]).map((kind) => [kind, Buffer.concat([mac.ipad, AAD[kind], tail])])) as Record<TokenKind, Buffer>;
  const v1Prefix = prefixes(v1Mac, Buffer.alloc(0));
  // version 2 authenticates its format byte too: by format byte, then kind
  const v2Prefix: Record<number, Record<TokenKind, Buffer>> = {
    [SIV_SYNTHETIC]: prefixes(v2Mac, Buffer.of(SIV_SYNTHETIC)),
    [SIV_RANDOM]: prefixes(v2Mac, Buffer.of(SIV_RANDOM)),
  };

  // work buffers, reused by every seal and open (all synchronous) and grown for a large plaintext
  let work = Buffer.allocUnsafe(HEAD + 4096);
  let out = Buffer.allocUnsafe(OVERHEAD + 4096);
  let counters = Buffer.allocUnsafe(4096 + AES_BLOCK);
  const ensure = (plainBytes: number) => {
    if (HEAD + plainBytes > work.length) work = Buffer.allocUnsafe(HEAD + plainBytes * 2);
    if (OVERHEAD + plainBytes > out.length) out = Buffer.allocUnsafe(OVERHEAD + plainBytes * 2);
    if (plainBytes + AES_BLOCK > counters.length) counters = Buffer.allocUnsafe(plainBytes * 2 + AES_BLOCK);
  };

  /** XORs `len` bytes of src (from `s`) with the CTR keystream of `siv` (in sivBuf at `at`) into dst (from `d`) */
  function ctrXor(sivBuf: Buffer, at: number, src: Buffer, s: number, dst: Buffer, d: number, len: number): void {
    const blocks = (len + AES_BLOCK - 1) >> 4;
    const low = sivBuf.readUInt32BE(at + 12);
    // byte by byte: Buffer.copy and writeUInt32BE per 16-byte block cost more than the bytes
    for (let i = 0, o = 0; i < blocks; i++, o += AES_BLOCK) {
      for (let j = 0; j < 12; j++) counters[o + j] = sivBuf[at + j];
      const c = (low + i) >>> 0;
      counters[o + 12] = c >>> 24;
      counters[o + 13] = (c >>> 16) & 0xff;
      counters[o + 14] = (c >>> 8) & 0xff;
      counters[o + 15] = c & 0xff;
    }
    const keystream = ecb.update(counters.subarray(0, blocks * AES_BLOCK));
    for (let i = 0; i < len; i++) dst[d + i] = src[s + i] ^ keystream[i];
  }

  /** version 2: the plaintext is work[HEAD, HEAD + len): seal it into the base64url token */
  function sealSiv(kind: TokenKind, len: number, mode: NonceMode): string {
    const v = mode === 'random' ? SIV_RANDOM : SIV_SYNTHETIC;
    const nonceBytes = v === SIV_RANDOM ? NONCE_BYTES : 0;
    const prefix = v2Prefix[v][kind];
    const from = HEAD - nonceBytes - prefix.length;
    prefix.copy(work, from);
    out[0] = v;
    if (nonceBytes > 0) {
      randomFillSync(out, 1, nonceBytes);
      out.copy(work, HEAD - nonceBytes, 1, 1 + nonceBytes);
    }
    const sivAt = 1 + nonceBytes;
    hmacInto(v2Mac, work, from, HEAD + len, out, sivAt, SIV_BYTES);
    ctrXor(out, sivAt, work, HEAD, out, sivAt + SIV_BYTES, len);
    return out.toString('base64url', 0, sivAt + SIV_BYTES + len);
  }

  /** version 1: the plaintext is work[HEAD, HEAD + len): seal it into the base64url token */
  function sealGcm(kind: TokenKind, len: number, mode: NonceMode): string {
    out[0] = VERSION;
    if (mode === 'random') randomFillSync(out, 1, NONCE_BYTES);
    else {
      const prefix = v1Prefix[kind];
      prefix.copy(work, HEAD - prefix.length);
      hmacInto(v1Mac, work, HEAD - prefix.length, HEAD + len, out, 1, NONCE_BYTES);
    }
    const cipher = createCipheriv('aes-256-gcm', gcmKey, out.subarray(1, 1 + NONCE_BYTES), { authTagLength: TAG_BYTES });
    cipher.setAAD(AAD[kind]);
    // GCM is a stream mode: update() returns every ciphertext byte, final() none
    const body = cipher.update(work.subarray(HEAD, HEAD + len));
    cipher.final();
    body.copy(out, 1 + NONCE_BYTES);
    cipher.getAuthTag().copy(out, 1 + NONCE_BYTES + len);
    return out.toString('base64url', 0, OVERHEAD + len);
  }

  function openSiv(kind: TokenKind, raw: Buffer): Buffer | undefined {
    const nonceBytes = raw[0] === SIV_RANDOM ? NONCE_BYTES : 0;
    const sivAt = 1 + nonceBytes;
    const len = raw.length - sivAt - SIV_BYTES;
    if (len < 0) return undefined;
    ensure(len);
    ctrXor(raw, sivAt, raw, sivAt + SIV_BYTES, work, HEAD, len);
    if (nonceBytes > 0) raw.copy(work, HEAD - nonceBytes, 1, 1 + nonceBytes);
    const prefix = v2Prefix[raw[0]][kind];
    const from = HEAD - nonceBytes - prefix.length;
    prefix.copy(work, from);
    hmacInto(v2Mac, work, from, HEAD + len, out, 0, SIV_BYTES);
    if (!timingSafeEqual(out.subarray(0, SIV_BYTES), raw.subarray(sivAt, sivAt + SIV_BYTES))) return undefined;
    return Buffer.from(work.subarray(HEAD, HEAD + len));
  }

  function openGcm(kind: TokenKind, raw: Buffer): Buffer | undefined {
    if (raw.length < OVERHEAD) return undefined;
    const nonce = raw.subarray(1, 1 + NONCE_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(1 + NONCE_BYTES, raw.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', gcmKey, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(AAD[kind]);
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      decipher.final(); // GCM: no bytes left, but the tag check happens here
      return plain;
    } catch {
      return undefined; // tag mismatch: tampered, foreign key or other kind
    }
  }

  function open(kind: TokenKind, token: string): Buffer | undefined {
    if (token.length === 0 || token.length > MAX_TOKEN_CHARS || !BASE64URL.test(token)) return undefined;
    const raw = Buffer.from(token, 'base64url');
    // Buffer's decoder ignores stray trailing bits: insist on the canonical
    // spelling so one token has exactly one accepted form.
    if (raw.length === 0 || raw.toString('base64url') !== token) return undefined;
    if (raw[0] === SIV_SYNTHETIC || raw[0] === SIV_RANDOM) return openSiv(kind, raw);
    return raw[0] === VERSION ? openGcm(kind, raw) : undefined;
  }

  /** a view writing one format; both views share the keys, the AES context and the work buffers */
  const writing = (sealWork: typeof sealSiv): Sealer => ({
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
    open,
    as: (v) => views[v],
  });
  const views: Record<TokenVersion, Sealer> = { 1: writing(sealGcm), 2: writing(sealSiv) };
  return views[version];
}
