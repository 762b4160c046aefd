// The hash behind algorithms 0-3, 5 and 7: Kamailio's ds_get_hash, bit for
// bit, over the same keys (URI user + host[:port], port left out when it is
// the default). It depends on the bytes only, so every node of the cluster,
// and a Kamailio beside them, computes the same value for the same request.

// Kamailio reads bytes as C `char`, signed on x86/arm64 Linux builds.
function sbyte(s: string, i: number): number {
  const c = s.charCodeAt(i) & 0xff;
  return c >= 128 ? c - 256 : c;
}

/** Strings with chars above U+00FF are hashed as their UTF-8 bytes; libs/sip strings are already bytes (latin1). */
function asBytes(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\u0000-\u00ff]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

function mix(h: number, raw: string): number {
  const s = asBytes(raw);
  const n = s.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = ((sbyte(s, i) << 24) + (sbyte(s, i + 1) << 16) + (sbyte(s, i + 2) << 8) + sbyte(s, i + 3)) >>> 0;
    h = (h + ((v ^ (v >>> 3)) >>> 0)) >>> 0;
  }
  let v = 0;
  for (; i < n; i++) v = ((v << 8) + sbyte(s, i)) >>> 0;
  return (h + ((v ^ (v >>> 3)) >>> 0)) >>> 0;
}

/** Kamailio ds_get_hash(x, y): an unsigned 32-bit value, never 0. */
export function dsHash(x: string, y?: string): number {
  let h = mix(0, x);
  if (y !== undefined) h = mix(h, y);
  h = (h + (h >>> 11) + ((h >>> 13) + (h >>> 23))) >>> 0;
  return h === 0 ? 1 : h;
}
