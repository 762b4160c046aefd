import { createCipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTopohCodec } from './index.ts';
import { createSealer, type TokenKind } from './seal.ts';

const KEY = 'correct-horse-battery-staple-42';

/**
 * The sealer as first written (streaming Hmac, Cipheriv, Buffer.concat): the
 * token format nodes of an older build read and write. The faster sealer must
 * give the same bytes, so a rolling upgrade mixes old and new nodes freely.
 */
function referenceSeal(maskKey: string, kind: TokenKind, plain: Buffer): string {
  const ikm = Buffer.from(maskKey, 'utf8');
  const salt = Buffer.from('sbc-topoh/v1', 'latin1');
  const encKey = Buffer.from(hkdfSync('sha256', ikm, salt, 'aes-256-gcm key', 32));
  const sivKey = Buffer.from(hkdfSync('sha256', ikm, salt, 'synthetic iv key', 32));
  const aad = Buffer.from(`sbc-topoh/v1/${kind}`, 'latin1');
  const nonce = createHmac('sha256', sivKey).update(aad).update(plain).digest().subarray(0, 12);
  const cipher = createCipheriv('aes-256-gcm', encKey, nonce, { authTagLength: 16 });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.of(1), nonce, body, cipher.getAuthTag()]).toString('base64url');
}

/** the first packList: LEB128 length then UTF-8 bytes per item */
function referencePack(items: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const bytes = Buffer.from(item, 'utf8');
    const len: number[] = [];
    let n = bytes.length;
    do {
      len.push((n & 0x7f) | (n >= 128 ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n > 0);
    parts.push(Buffer.from(len), bytes);
  }
  return Buffer.concat(parts);
}

const TEXTS = ['', 'a', 'abc@10.0.0.1', 'x'.repeat(200), 'caf\u00e9 \u20ac \ud83d\ude00', 'y'.repeat(9000), '\u00ff'.repeat(3000)];

describe('sealer, token version 1: same tokens as the first implementation', () => {
  const sealer = createSealer(KEY, 1);

  it('seals text, bytes and packed lists byte for byte as before, and opens those tokens', () => {
    for (const kind of ['via', 'uri', 'callid'] as const) {
      for (const text of TEXTS) {
        const want = referenceSeal(KEY, kind, Buffer.from(text, 'utf8'));
        expect(sealer.sealText(kind, text, 'synthetic')).toBe(want);
        expect(sealer.seal(kind, Buffer.from(text, 'utf8'), 'synthetic')).toBe(want);
        expect(sealer.open(kind, want)?.toString('utf8')).toBe(text);
      }
    }
    for (let i = 0; i < 50; i++) {
      const bytes = randomBytes(i * 37);
      expect(sealer.seal('uri', bytes, 'synthetic')).toBe(referenceSeal(KEY, 'uri', bytes));
    }
  });

  it('codec tokens (Via stacks, URIs, Call-IDs) equal the first implementation\'s', () => {
    const codec = createTopohCodec({ maskKey: KEY, maskIp: '198.51.100.1', maskCallId: true, tokenVersion: 1 });
    const stacks = [[], ['SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1;rport'], ['SIP/2.0/UDP h;x="\u00e9\u20ac"', 'v'.repeat(300), 'w'.repeat(5000)]];
    for (const vias of stacks) expect(codec.encodeVias(vias)).toBe(referenceSeal(KEY, 'via', referencePack(vias)));
    const uri = 'sip:alice@10.0.0.7:5062;transport=tcp';
    expect(codec.encodeUri(uri)).toBe('sip:198.51.100.1;transport=tcp;line=sr-' + referenceSeal(KEY, 'uri', Buffer.from(uri)));
    expect(codec.encodeCallId('abc@10.0.0.1')).toBe('!!:' + referenceSeal(KEY, 'callid', Buffer.from('abc@10.0.0.1')));
  });

  it('random nonces: tokens differ each time and still open', () => {
    const a = sealer.sealText('via', 'same', 'random');
    const b = sealer.sealText('via', 'same', 'random');
    expect(a).not.toBe(b);
    expect(sealer.open('via', a)?.toString()).toBe('same');
    expect(sealer.open('via', b)?.toString()).toBe('same');
  });

  it('a token read out is not changed by the seals after it (work buffers are reused)', () => {
    const first = sealer.sealText('uri', 'sip:first@10.0.0.1', 'synthetic');
    const copy = String(first);
    sealer.sealText('uri', 'sip:second@10.0.0.2', 'synthetic');
    expect(first).toBe(copy);
    expect(sealer.open('uri', first)?.toString()).toBe('sip:first@10.0.0.1');
  });
});

/**
 * Version 2 written the plain way (streaming Hmac, OpenSSL's own AES-256-CTR
 * from the SIV as counter block): the sealer's reused-ECB keystream and
 * in-place assembly must give these bytes.
 */
function referenceSealV2(maskKey: string, kind: TokenKind, plain: Buffer, nonce?: Buffer): string {
  const ikm = Buffer.from(maskKey, 'utf8');
  const salt = Buffer.from('sbc-topoh/v1', 'latin1');
  const macKey = Buffer.from(hkdfSync('sha256', ikm, salt, 'siv v2 hmac-sha256 key', 32));
  const encKey = Buffer.from(hkdfSync('sha256', ikm, salt, 'siv v2 aes-256-ctr key', 32));
  const version = Buffer.of(nonce === undefined ? 2 : 3);
  const head = nonce === undefined ? version : Buffer.concat([version, nonce]);
  const siv = createHmac('sha256', macKey).update(`sbc-topoh/v1/${kind}`).update(head).update(plain).digest().subarray(0, 16);
  const ctr = createCipheriv('aes-256-ctr', encKey, siv);
  return Buffer.concat([head, siv, ctr.update(plain), ctr.final()]).toString('base64url');
}

describe('sealer, token version 2 (the default): SIV over one reused AES context', () => {
  const sealer = createSealer(KEY);

  it('seals as the plain construction does, the same token on every node, and opens it', () => {
    const other = createSealer(KEY, 2);
    for (const kind of ['via', 'uri', 'callid'] as const) {
      for (const text of TEXTS) {
        const want = referenceSealV2(KEY, kind, Buffer.from(text, 'utf8'));
        expect(sealer.sealText(kind, text, 'synthetic')).toBe(want);
        expect(sealer.seal(kind, Buffer.from(text, 'utf8'), 'synthetic')).toBe(want);
        expect(other.sealText(kind, text, 'synthetic')).toBe(want);
        expect(other.open(kind, want)?.toString('utf8')).toBe(text);
      }
    }
    for (let i = 0; i < 50; i++) {
      const bytes = randomBytes(i * 37);
      expect(sealer.seal('via', bytes, 'synthetic')).toBe(referenceSealV2(KEY, 'via', bytes));
    }
  });

  it('random nonces: the nonce is in the token and authenticated; tokens differ and open', () => {
    const a = sealer.sealText('via', 'same', 'random');
    const b = sealer.sealText('via', 'same', 'random');
    expect(a).not.toBe(b);
    const raw = Buffer.from(a, 'base64url');
    expect(raw[0]).toBe(3);
    expect(a).toBe(referenceSealV2(KEY, 'via', Buffer.from('same'), raw.subarray(1, 13)));
    expect(sealer.open('via', a)?.toString()).toBe('same');
    expect(sealer.open('via', b)?.toString()).toBe('same');
  });

  it('a cluster mid-upgrade: nodes writing version 1 and version 2 open each other\'s tokens', () => {
    const v1 = createSealer(KEY, 1);
    for (const text of TEXTS) {
      expect(v1.open('uri', sealer.sealText('uri', text, 'synthetic'))?.toString('utf8')).toBe(text);
      expect(sealer.open('uri', v1.sealText('uri', text, 'synthetic'))?.toString('utf8')).toBe(text);
      expect(v1.open('via', sealer.sealText('via', text, 'random'))?.toString('utf8')).toBe(text);
    }
    const v1Codec = createTopohCodec({ maskKey: KEY, maskIp: '198.51.100.1', maskCallId: true, tokenVersion: 1 });
    const v2Codec = createTopohCodec({ maskKey: KEY, maskIp: '198.51.100.1', maskCallId: true });
    const vias = ['SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1;rport', 'SIP/2.0/TCP 10.0.0.6'];
    expect(v1Codec.decodeViaParam(v2Codec.encodeViaParam(vias))).toEqual(vias);
    expect(v2Codec.decodeViaParam(v1Codec.encodeViaParam(vias))).toEqual(vias);
    expect(v1Codec.decodeCallId(v2Codec.encodeCallId('abc@10.0.0.1'))).toBe('abc@10.0.0.1');
    // Call-IDs stay format 1 on every node: the far end sees one Call-ID whichever node relays
    expect(v2Codec.encodeCallId('abc@10.0.0.1')).toBe(v1Codec.encodeCallId('abc@10.0.0.1'));
    expect(v2Codec.encodeCallId('abc@10.0.0.1')).toBe('!!:' + referenceSeal(KEY, 'callid', Buffer.from('abc@10.0.0.1')));
  });

  it('never opens a changed, cut, foreign-key, other-kind or re-versioned token', () => {
    const token = sealer.sealText('callid', 'abc@10.0.0.1', 'synthetic');
    const raw = Buffer.from(token, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Buffer.from(raw);
        bad[i] ^= bit;
        expect(sealer.open('callid', bad.toString('base64url')), `byte ${i} ^ ${bit}`).toBeUndefined();
      }
    }
    for (let n = 0; n < raw.length; n++) expect(sealer.open('callid', raw.subarray(0, n).toString('base64url'))).toBeUndefined();
    expect(sealer.open('via', token)).toBeUndefined();
    expect(sealer.open('uri', token)).toBeUndefined();
    expect(createSealer('another-key-of-enough-length', 2).open('callid', token)).toBeUndefined();
    // a synthetic token relabelled as random (or back) reads 12 bytes as a nonce: the HMAC covers the version
    const relabelled = Buffer.from(raw);
    relabelled[0] = 3;
    expect(sealer.open('callid', relabelled.toString('base64url'))).toBeUndefined();
    expect(sealer.open('callid', token + 'A')).toBeUndefined();
  });

  it('a long plaintext (many counter blocks) and one grown past the work buffers', () => {
    for (const n of [15, 16, 17, 4095, 4096, 4097, 20_000]) {
      const bytes = randomBytes(n);
      const token = sealer.seal('uri', bytes, 'synthetic');
      expect(token).toBe(referenceSealV2(KEY, 'uri', bytes));
      expect(sealer.open('uri', token)?.equals(bytes)).toBe(true);
    }
  });

  it('a token read out is not changed by the seals and opens after it (work buffers are reused)', () => {
    const first = sealer.sealText('uri', 'sip:first@10.0.0.1', 'synthetic');
    const copy = String(first);
    const opened = sealer.open('uri', first);
    sealer.sealText('uri', 'sip:second@10.0.0.2', 'synthetic');
    sealer.open('uri', sealer.sealText('uri', 'sip:third@10.0.0.3', 'synthetic'));
    expect(first).toBe(copy);
    expect(opened?.toString()).toBe('sip:first@10.0.0.1');
  });
});
