import { describe, expect, it } from 'vitest';
import { packList, unpackList } from './pack.ts';

describe('packList', () => {
  it('round-trips items holding separators, empties and long values', () => {
    const items = ['a,b', '', 'x'.repeat(300), ';"\r\n', '\u00e9\u20ac'];
    expect(unpackList(packList(items))).toEqual(items);
  });

  it('rejects a length running past the end and an unterminated varint', () => {
    expect(unpackList(Buffer.from([5, 65]))).toBeUndefined();
    expect(unpackList(Buffer.from([0x80]))).toBeUndefined();
  });
});
