import { describe, expect, it } from 'vitest';
import { parseUri, parseVia } from '#libs/sip';
import { createTopohCodec, type TopohOptions } from './index.ts';

const KEY = 'correct-horse-battery-staple-42';
const BASE: TopohOptions = {
  maskKey: KEY,
  maskIp: '198.51.100.1',
  maskCallId: true,
  uparamName: 'line',
  uparamPrefix: 'sr-',
  vparamName: 'branch',
  vparamPrefix: 'z9hG4bKsr-',
  callIdPrefix: '!!:',
};
const B64URL = /^[A-Za-z0-9_-]+$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const VIAS = [
  'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-sbc-1;rport=5060;received=10.0.0.9',
  'SIP/2.0/TCP [2001:db8::7]:5080;branch=z9hG4bKabc;alias',
  'SIP/2.0/TLS pbx.internal.example;branch=z9hG4bK776asdhds;x="a,b;c"',
];

/** every single-char substitution of the token, a few positions at a time */
function* flips(token: string): Generator<string> {
  for (let i = 0; i < token.length; i++) {
    const c = token[i];
    const repl = ALPHABET[(ALPHABET.indexOf(c) + 1 + (i % 63)) % 64];
    yield token.slice(0, i) + repl + token.slice(i + 1);
  }
}

/** flip one bit of the decoded bytes, re-encoded canonically */
function* byteFlips(token: string): Generator<string> {
  const raw = Buffer.from(token, 'base64url');
  for (let i = 0; i < raw.length; i++) {
    const copy = Buffer.from(raw);
    copy[i] ^= 1 << (i % 8);
    yield copy.toString('base64url');
  }
}

describe('Via stack', () => {
  const codec = createTopohCodec(BASE);

  it('round-trips IPv6, params, quoted commas', () => {
    const token = codec.encodeVias(VIAS);
    expect(token).toMatch(B64URL);
    expect(codec.decodeVias(token)).toEqual(VIAS);
  });

  it('round-trips many Vias, an empty stack and non-ASCII bytes', () => {
    const many = Array.from({ length: 70 }, (_, i) => `SIP/2.0/UDP 10.1.${i}.1:${5060 + i};branch=z9hG4bK${i}x;rport`);
    expect(codec.decodeVias(codec.encodeVias(many))).toEqual(many);
    expect(codec.decodeVias(codec.encodeVias([]))).toEqual([]);
    const odd = ['SIP/2.0/UDP h;x="\u00e9\u00ff\u20ac"'];
    expect(codec.decodeVias(codec.encodeVias(odd))).toEqual(odd);
  });

  it('param value goes in a Via branch that libs/sip parses and decodes back', () => {
    const value = codec.encodeViaParam(VIAS);
    expect(value.startsWith('z9hG4bKsr-')).toBe(true);
    const via = `SIP/2.0/UDP 198.51.100.1:5060;branch=${value};rport`;
    expect(parseVia(via)?.params.get('branch')).toBe(value);
    expect(codec.decodeMaskedVia(via)).toEqual(VIAS);
    expect(codec.decodeViaParam(value)).toEqual(VIAS);
    expect(codec.decodeViaParam('z9hG4bKplain')).toBeUndefined();
    expect(codec.decodeMaskedVia('SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKsr-AAAA')).toBeUndefined();
  });

  it('synthetic nonce: same stack, same token (retransmission / CANCEL keep the branch)', () => {
    expect(codec.encodeVias(VIAS)).toBe(createTopohCodec(BASE).encodeVias(VIAS));
    expect(codec.encodeVias(VIAS)).not.toBe(codec.encodeVias(VIAS.slice(1)));
  });

  it('random nonce: different tokens, both decode', () => {
    const r = createTopohCodec({ ...BASE, nonce: 'random' });
    const a = r.encodeVias(VIAS);
    const b = r.encodeVias(VIAS);
    expect(a).not.toBe(b);
    expect(codec.decodeVias(a)).toEqual(VIAS);
    expect(codec.decodeVias(b)).toEqual(VIAS);
  });

  it('any changed char or flipped bit → undefined', () => {
    const token = codec.encodeVias(VIAS);
    let n = 0;
    for (const t of flips(token)) {
      expect(t).not.toBe(token);
      expect(codec.decodeVias(t)).toBeUndefined();
      n++;
    }
    for (const t of byteFlips(token)) {
      expect(codec.decodeVias(t)).toBeUndefined();
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });

  it('truncated, extended, empty, non-base64url and oversized input → undefined', () => {
    const token = codec.encodeVias(VIAS);
    expect(codec.decodeVias(token.slice(0, -1))).toBeUndefined();
    expect(codec.decodeVias(token + 'A')).toBeUndefined();
    expect(codec.decodeVias('')).toBeUndefined();
    expect(codec.decodeVias(token.slice(0, 10) + '=' + token.slice(10))).toBeUndefined();
    expect(codec.decodeVias(token.replace(/./, '+'))).toBeUndefined();
    expect(codec.decodeVias('A'.repeat(70000))).toBeUndefined();
  });

  it('foreign key → undefined', () => {
    const other = createTopohCodec({ ...BASE, maskKey: 'another-secret-of-enough-length' });
    expect(other.decodeVias(codec.encodeVias(VIAS))).toBeUndefined();
  });

  it('token length is linear in input size: 17 bytes over the plaintext (version 2), 29 (version 1)', () => {
    const one = 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK0123456789abcdef';
    const v1 = createTopohCodec({ ...BASE, tokenVersion: 1 });
    for (const n of [1, 10, 100]) {
      const vias = Array.from({ length: n }, () => one);
      const plainBytes = n * (one.length + 1); // + 1 length byte each
      expect(codec.encodeVias(vias).length).toBe(Math.ceil(((plainBytes + 17) * 4) / 3));
      expect(v1.encodeVias(vias).length).toBe(Math.ceil(((plainBytes + 29) * 4) / 3));
    }
  });
});

describe('URI', () => {
  const codec = createTopohCodec(BASE);
  const URIS = [
    'sip:alice@10.0.0.5:5060;transport=tcp;ob',
    'sip:10.0.0.1;lr;r2=on;ftag=abc',
    'sips:bob@[2001:db8::9]:5061;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    'sip:+15551234567@pbx.internal.example;user=phone?X-Header=1',
  ];

  it('round-trips URIs with params, transport, IPv6 and headers', () => {
    for (const u of URIS) expect(codec.decodeUri(codec.encodeUri(u))).toBe(u);
  });

  it('masked URI is valid SIP grammar, hides host and user, keeps lr/transport', () => {
    for (const u of URIS) {
      const masked = codec.encodeUri(u);
      const parsed = parseUri(masked);
      expect(parsed).toBeDefined();
      expect(parsed!.host).toBe('198.51.100.1');
      expect(parsed!.user).toBeUndefined();
      const line = parsed!.params.get('line');
      expect(line?.startsWith('sr-')).toBe(true);
      expect(line!.slice(3)).toMatch(B64URL);
      const orig = parseUri(u)!;
      expect(masked).not.toContain(orig.host);
      if (orig.user !== undefined) expect(masked).not.toContain(orig.user);
      expect(codec.isEncodedUri(masked)).toBe(true);
      expect(codec.isEncodedUri(u)).toBe(false);
    }
    const tcp = parseUri(codec.encodeUri(URIS[0]))!;
    expect(tcp.params.get('transport')).toBe('tcp');
    expect(tcp.params.has('ob')).toBe(false);
    const rr = parseUri(codec.encodeUri(URIS[1]))!;
    expect(rr.params.get('lr')).toBeNull();
    expect(rr.params.has('ftag')).toBe(false);
    expect(parseUri(codec.encodeUri(URIS[2]))!.scheme).toBe('sips');
  });

  it('maskIp may carry a port and be IPv6', () => {
    const c6 = createTopohCodec({ ...BASE, maskIp: '[2001:db8::1]:5070' });
    const masked = c6.encodeUri(URIS[0]);
    const p = parseUri(masked)!;
    expect(p.host).toBe('[2001:db8::1]');
    expect(p.port).toBe(5070);
    expect(c6.decodeUri(masked)).toBe(URIS[0]);
  });

  it('tampered token, foreign key, plain URIs → undefined', () => {
    const masked = codec.encodeUri(URIS[0]);
    const token = parseUri(masked)!.params.get('line')!.slice(3);
    for (const t of flips(token)) {
      expect(codec.decodeUri(masked.replace(token, t))).toBeUndefined();
    }
    const other = createTopohCodec({ ...BASE, maskKey: 'another-secret-of-enough-length' });
    expect(other.decodeUri(masked)).toBeUndefined();
    expect(codec.decodeUri(URIS[0])).toBeUndefined();
    expect(codec.decodeUri('sip:198.51.100.1;line=xx-abc')).toBeUndefined();
    expect(codec.decodeUri('not a uri')).toBeUndefined();
  });

  it('decodes whatever host the token is presented with (the token authenticates)', () => {
    const masked = codec.encodeUri(URIS[0]);
    const token = parseUri(masked)!.params.get('line')!;
    expect(codec.decodeUri(`sip:203.0.113.7:5060;line=${token}`)).toBe(URIS[0]);
  });

  it('same URI gives the same masked URI (REGISTER refresh keeps one binding)', () => {
    expect(codec.encodeUri(URIS[0])).toBe(createTopohCodec(BASE).encodeUri(URIS[0]));
  });
});

describe('kind confusion', () => {
  const codec = createTopohCodec(BASE);

  it('a token of one kind never decodes as another', () => {
    const viaToken = codec.encodeVias(VIAS);
    const uriToken = parseUri(codec.encodeUri('sip:a@10.0.0.1'))!.params.get('line')!.slice(3);
    const callToken = codec.encodeCallId('abc@10.0.0.1').slice(3);
    expect(codec.decodeVias(uriToken)).toBeUndefined();
    expect(codec.decodeVias(callToken)).toBeUndefined();
    expect(codec.decodeUri(`sip:198.51.100.1;line=sr-${viaToken}`)).toBeUndefined();
    expect(codec.decodeUri(`sip:198.51.100.1;line=sr-${callToken}`)).toBeUndefined();
    expect(codec.decodeCallId(`!!:${viaToken}`)).toBeUndefined();
    expect(codec.decodeCallId(`!!:${uriToken}`)).toBeUndefined();
  });
});

describe('Call-ID', () => {
  const codec = createTopohCodec(BASE);
  const IDS = ['a84b4c76e66710@pc33.atlanta.example.com', '3848276298220188511@10.0.0.5', 'x', 'f81d4fae-7dec-11d0'];

  it('round-trips, output is prefix + word chars', () => {
    for (const id of IDS) {
      const enc = codec.encodeCallId(id);
      expect(enc.startsWith('!!:')).toBe(true);
      expect(enc.slice(3)).toMatch(B64URL);
      expect(enc).not.toContain('@');
      expect(codec.isEncodedCallId(enc)).toBe(true);
      expect(codec.isEncodedCallId(id)).toBe(false);
      expect(codec.decodeCallId(enc)).toBe(id);
    }
  });

  it('deterministic across instances with one key, different across keys', () => {
    const twin = createTopohCodec(BASE);
    const other = createTopohCodec({ ...BASE, maskKey: 'another-secret-of-enough-length' });
    for (const id of IDS) {
      expect(twin.encodeCallId(id)).toBe(codec.encodeCallId(id));
      expect(other.encodeCallId(id)).not.toBe(codec.encodeCallId(id));
      expect(other.decodeCallId(codec.encodeCallId(id))).toBeUndefined();
    }
    expect(codec.encodeCallId(IDS[0])).not.toBe(codec.encodeCallId(IDS[1]));
  });

  it('stays synthetic even when Via/URI nonces are random', () => {
    const r = createTopohCodec({ ...BASE, nonce: 'random' });
    expect(r.encodeCallId(IDS[0])).toBe(codec.encodeCallId(IDS[0]));
  });

  it('tampered or unprefixed → undefined', () => {
    const enc = codec.encodeCallId(IDS[0]);
    for (const t of flips(enc.slice(3))) expect(codec.decodeCallId('!!:' + t)).toBeUndefined();
    expect(codec.decodeCallId(IDS[0])).toBeUndefined();
  });

  it('identity when maskCallId is off', () => {
    const plain = createTopohCodec({ ...BASE, maskCallId: false });
    expect(plain.encodeCallId(IDS[0])).toBe(IDS[0]);
    expect(plain.decodeCallId(IDS[0])).toBe(IDS[0]);
  });
});
