import { describe, expect, it } from 'vitest';
import { dsHash } from './hash.ts';
import { hashUri, uriHashKeys } from './uri-hash.ts';

describe('dsHash matches Kamailio ds_get_hash', () => {
  // Vectors computed by compiling Kamailio's ds_get_hash (dispatch.c) with gcc on x86-64.
  it.each([
    ['a84b4c76e66710@pc33.atlanta.com', undefined, 2175018094],
    ['abc', undefined, 7167810],
    ['', undefined, 1],
    ['1234567', undefined, 928033265],
    ['alice', 'atlanta.com', 1053853112],
    ['bob', '10.0.0.1:5080', 2701604707],
    ['', 'example.com', 3905729897],
    ['user', 'host:5062', 515377559],
    // bytes above 0x7f are signed chars in C; libs/sip strings carry bytes as latin1 chars
    ['caf\u00c3\u00a9-\u00ff\u0080', undefined, 723347115],
  ])('dsHash(%j, %j) = %d', (x, y, h) => {
    expect(dsHash(x, y)).toBe(h);
  });

  it('hashes a non-latin1 string as its UTF-8 bytes', () => {
    expect(dsHash('x\u20ac')).toBe(dsHash('x\u00e2\u0082\u00ac'));
  });
});

describe('URI hash keys (Kamailio get_uri_hash_keys)', () => {
  it('uses user and host, with the port only when not the default', () => {
    expect(uriHashKeys('sip:alice@atlanta.com')).toEqual(['alice', 'atlanta.com']);
    expect(uriHashKeys('sip:alice@atlanta.com:5060')).toEqual(['alice', 'atlanta.com']);
    expect(uriHashKeys('sip:alice@atlanta.com:5080')).toEqual(['alice', 'atlanta.com:5080']);
    expect(uriHashKeys('sips:alice@atlanta.com:5061')).toEqual(['alice', 'atlanta.com']);
    expect(uriHashKeys('sip:atlanta.com')).toEqual(['', 'atlanta.com']);
  });

  it('ignores URI parameters and headers', () => {
    const h = hashUri('sip:alice@atlanta.com');
    expect(hashUri('sip:alice@atlanta.com;transport=tcp;user=phone')).toBe(h);
    expect(hashUri('  sip:alice@atlanta.com:5060 ')).toBe(h);
    expect(hashUri('sip:alice@atlanta.com?subject=x')).toBe(h);
    expect(hashUri('sip:alice@atlanta.com')).toBe(dsHash('alice', 'atlanta.com'));
  });

  it('hashes an unparsable URI as its text, still deterministically', () => {
    expect(hashUri('not a uri')).toBe(dsHash('not a uri'));
  });
});
