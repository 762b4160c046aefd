// A list of strings as bytes: each item is a LEB128 length then its UTF-8
// bytes. Unambiguous for any content (Via values may hold quoted commas).
// UTF-8 round-trips every string libs/sip hands out, latin1 byte strings included.

export function packList(items: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const item of items) {
    const bytes = Buffer.from(item, 'utf8');
    parts.push(varint(bytes.length), bytes);
  }
  return Buffer.concat(parts);
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

function varint(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}
