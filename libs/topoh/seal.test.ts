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

describe('sealer: same tokens as the first implementation', () => {
  const sealer = createSealer(KEY);

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
    const codec = createTopohCodec({ maskKey: KEY, maskIp: '198.51.100.1', maskCallId: true });
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
