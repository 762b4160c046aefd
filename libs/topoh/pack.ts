// A list of strings as bytes: each item is a LEB128 length then its UTF-8
// bytes. Unambiguous for any content (Via values may hold quoted commas).
// UTF-8 round-trips every string libs/sip hands out, latin1 byte strings included.

export function packList(items: readonly string[]): Buffer {
  const buf = Buffer.allocUnsafe(packedMaxBytes(items));
  return buf.subarray(0, packListInto(items, buf, 0));
}

/** an upper bound of packListInto's output: 3 UTF-8 bytes per UTF-16 unit, 5 length bytes per item */
export function packedMaxBytes(items: readonly string[]): number {
  let n = 0;
  for (const item of items) n += item.length * 3 + 5;
  return n;
}

/**
 * packList's bytes written into `buf` from `at` (room for packedMaxBytes
 * assumed), without a Buffer per item: the topoh sealer packs Via stacks
 * straight into its work buffer. Returns the end offset.
 */
export function packListInto(items: readonly string[], buf: Buffer, at: number): number {
  let i = at;
  for (const item of items) {
    // ASCII (what Via values are): bytes = units, the length is known before writing
    const len = isAscii(item) ? item.length : Buffer.byteLength(item, 'utf8');
    i = writeVarint(buf, i, len);
    i += buf.write(item, i, 'utf8');
  }
  return i;
}

/** undefined when the bytes are not a well-formed packed list */
export function unpackList(buf: Buffer): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < buf.length) {
    let len = 0;
    let shift = 0;
    for (;;) {
      if (i >= buf.length || shift > 21) return undefined;
      const b = buf[i++];
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    if (i + len > buf.length) return undefined;
    out.push(buf.toString('utf8', i, i + len));
    i += len;
  }
  return out;
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) > 0x7f) return false;
  return true;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  let i = at;
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    buf[i++] = b;
  } while (n > 0);
  return i;
}
