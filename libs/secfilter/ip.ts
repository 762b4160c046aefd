// IP addresses and CIDR prefixes for the ip lists. Hand-written parsers (no
// regex on the hot path, no allocation for an IPv4 source address) and a
// matcher that looks a source up once per distinct prefix length.

/** A parsed address: IPv4 as one unsigned 32-bit word, IPv6 as four (most significant first). */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly words: readonly number[];
}

export interface Cidr extends IpAddress {
  /** prefix length: 0..32 (IPv4) or 0..128 (IPv6) */
  readonly bits: number;
}

/** Dotted-quad IPv4 to an unsigned 32-bit number; undefined when malformed (leading zeros refused: they read as octal elsewhere). */
export function parseIpv4(s: string): number | undefined {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return n * 256 + octet;
}

function parseGroups(part: string, out: number[]): boolean {
  if (part === '') return true;
  for (const g of part.split(':')) {
    if (g.length === 0 || g.length > 4) return false;
    let v = 0;
    for (let i = 0; i < g.length; i++) {
      const c = g.charCodeAt(i) | 0x20;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return false;
      v = v * 16 + d;
    }
    out.push(v);
  }
  return true;
}

/** IPv6 text (RFC 4291 §2.2, embedded IPv4 allowed, no zone id) to four 32-bit words. */
export function parseIpv6(text: string): number[] | undefined {
  let s = text;
  let v4: number | undefined;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return undefined;
  if (s.indexOf('.', lastColon) >= 0) {
    v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    // keep the colon(s) before the IPv4 part so "::1.2.3.4" still splits around "::"
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head: number[] = [];
  const tail: number[] = [];
  if (!parseGroups(halves[0], head)) return undefined;
  if (halves.length === 2 && !parseGroups(halves[1], tail)) return undefined;
  const groups = halves.length === 2 ? head.length + tail.length : head.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return undefined;
  const all = [...head, ...new Array<number>(8 - groups).fill(0), ...tail];
  if (v4 !== undefined) {
    all[6] = Math.floor(v4 / 65536);
    all[7] = v4 % 65536;
  }
  return [all[0] * 65536 + all[1], all[2] * 65536 + all[3], all[4] * 65536 + all[5], all[6] * 65536 + all[7]];
}

/**
 * An IPv4 or IPv6 address (IPv6 optionally in brackets). IPv4-mapped IPv6
 * (::ffff:a.b.c.d, what a dual-stack socket reports) reads as IPv4, so one
 * IPv4 entry covers both forms.
 */
export function parseIp(text: string): IpAddress | undefined {
  let s = text;
  if (s.charCodeAt(0) === 91 && s.charCodeAt(s.length - 1) === 93) s = s.slice(1, -1);
  if (s.indexOf(':') < 0) {
    const n = parseIpv4(s);
    return n === undefined ? undefined : { family: 4, words: [n] };
  }
  const w = parseIpv6(s);
  if (w === undefined) return undefined;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { family: 4, words: [w[3]] };
  return { family: 6, words: w };
}

function maskWord(word: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return word;
  return (word & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
}

function masked(words: readonly number[], bits: number): number[] {
  return words.map((w, i) => maskWord(w, bits - 32 * i));
}

/**
 * "203.0.113.7", "198.51.100.0/24", "2001:db8::/32" -> Cidr, or the problem.
 * Host bits set under the prefix ("10.0.0.1/8") are refused: the intent is
 * ambiguous, so the message names the network meant.
 */
export function parseCidr(text: string): Cidr | string {
  const s = text.trim();
  if (/^\d{1,3}(\.\d{1,3}){0,2}\.$/.test(s)) {
    const parts = s.slice(0, -1).split('.');
    return `"${s}" is a Kamailio-style text prefix; write a CIDR prefix: "${[...parts, ...new Array(4 - parts.length).fill('0')].join('.')}/${parts.length * 8}"`;
  }
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const addr = parseIp(addrText);
  if (addr === undefined) return `"${s}" is not an IP address or CIDR prefix (e.g. "192.0.2.7", "198.51.100.0/24", "2001:db8::/32")`;
  const max = addr.family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const b = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > (addrText.includes(':') ? 128 : 32)) return `"${s}": prefix length must be 0..${addrText.includes(':') ? 128 : 32}`;
    bits = Number(b);
    // ::ffff:a.b.c.d/n read as IPv4 keeps the prefix length within the IPv4 part
    if (addr.family === 4 && addrText.includes(':')) {
      if (bits < 96) return `"${s}": an IPv4-mapped prefix must be /96 or longer`;
      bits -= 96;
    }
  }
  const net = masked(addr.words, bits);
  if (net.some((w, i) => w !== addr.words[i])) {
    return `"${s}" has host bits set under its prefix length; did you mean "${formatCidr({ family: addr.family, words: net, bits })}"?`;
  }
  return { family: addr.family, words: addr.words, bits };
}

/** Canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6. */
export function formatIp(a: IpAddress): string {
  if (a.family === 4) {
    const n = a.words[0];
    return `${Math.floor(n / 16777216)}.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
  }
  const g: number[] = [];
  for (const w of a.words) g.push(Math.floor(w / 65536), w % 65536);
  // longest run of zero groups (length >= 2) becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Canonical text of a CIDR entry: the bare address for a single host, else "net/bits". */
export function formatCidr(c: Cidr): string {
  return c.bits === (c.family === 4 ? 32 : 128) ? formatIp(c) : `${formatIp(c)}/${c.bits}`;
}

/**
 * Matches an address against a set of CIDR prefixes: one Set lookup per
 * distinct prefix length present (a handful in practice), whatever the
 * number of entries.
 */
export class IpMatcher {
  private readonly v4 = new Map<number, Set<number>>();
  private readonly v6 = new Map<number, Set<string>>();
  readonly size: number;

  constructor(entries: readonly Cidr[]) {
    for (const c of entries) {
      if (c.family === 4) {
        let set = this.v4.get(c.bits);
        if (set === undefined) this.v4.set(c.bits, (set = new Set()));
        set.add(maskWord(c.words[0], c.bits));
      } else {
        let set = this.v6.get(c.bits);
        if (set === undefined) this.v6.set(c.bits, (set = new Set()));
        set.add(masked(c.words, c.bits).join(':'));
      }
    }
    this.size = entries.length;
  }

  /** true when the address falls in one of the prefixes; false for anything unparsable */
  matches(address: string): boolean {
    if (this.size === 0) return false;
    if (address.indexOf(':') < 0) {
      if (this.v4.size === 0) return false;
      const n = parseIpv4(address);
      return n !== undefined && this.hasV4(n);
    }
    const a = parseIp(address);
    if (a === undefined) return false;
    if (a.family === 4) return this.hasV4(a.words[0]);
    for (const [bits, set] of this.v6) if (set.has(masked(a.words, bits).join(':'))) return true;
    return false;
  }

  private hasV4(n: number): boolean {
    for (const [bits, set] of this.v4) if (set.has(maskWord(n, bits))) return true;
    return false;
  }
}
