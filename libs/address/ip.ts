// IP addresses and CIDR subnets as numbers, so a per-request match is a mask
// and a compare: IPv4 as an unsigned 32-bit number, IPv6 as a BigInt. The one
// parser of addresses and subnets for every feature (permissions, secfilter,
// pike...): config validation and the hot path read them the same way.
// IPv4-mapped IPv6 (::ffff:a.b.c.d, what a dual-stack socket reports for an
// IPv4 peer) is folded to IPv4 on both sides, so one entry covers both forms.

export type ParsedIp = { readonly v: 4; readonly n: number } | { readonly v: 6; readonly n: bigint };

/** A compiled subnet; an exact address is a subnet of prefix 32 / 128. */
export type Cidr =
  | { readonly v: 4; readonly net: number; readonly mask: number; readonly prefix: number }
  | { readonly v: 6; readonly net: bigint; readonly mask: bigint; readonly prefix: number };

const V6_ALL = (1n << 128n) - 1n;

/** Dotted-quad IPv4 -> uint32, or -1. Hand-rolled: it runs per request. */
export function parseIpv4(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3) return -1;
      // "01" is refused: some stacks read a leading zero as octal
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

function hexGroup(s: string): number {
  if (s.length === 0 || s.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Groups of one side of "::" (an IPv4 tail counts as two groups); undefined when malformed. */
function groupsOf(s: string, allowV4Tail: boolean): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const out: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (i === parts.length - 1 && allowV4Tail && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 < 0) return undefined;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
      continue;
    }
    const g = hexGroup(p);
    if (g < 0) return undefined;
    out.push(g);
  }
  return out;
}

/** IPv6 text (brackets and a %zone allowed) -> 128-bit BigInt, or undefined. */
export function parseIpv6(input: string): bigint | undefined {
  let s = input;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return undefined;
  const dbl = s.indexOf('::');
  let groups: number[];
  if (dbl < 0) {
    const g = groupsOf(s, true);
    if (g === undefined || g.length !== 8) return undefined;
    groups = g;
  } else {
    if (s.indexOf('::', dbl + 1) >= 0) return undefined;
    const tailText = s.slice(dbl + 2);
    const head = groupsOf(s.slice(0, dbl), false);
    const tail = groupsOf(tailText, true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}

/** Any IP text -> number form; IPv4-mapped IPv6 becomes IPv4. undefined when not an IP. */
export function parseIp(s: string): ParsedIp | undefined {
  const v4 = parseIpv4(s);
  if (v4 >= 0) return { v: 4, n: v4 };
  // fast path for what a dual-stack socket reports for IPv4 peers
  if (s.length > 7 && s.startsWith('::ffff:')) {
    const mapped = parseIpv4(s.slice(7));
    if (mapped >= 0) return { v: 4, n: mapped };
  }
  const v6 = parseIpv6(s);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { v: 4, n: Number(v6 & 0xffffffffn) };
  return { v: 6, n: v6 };
}

export function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function v6Mask(prefix: number): bigint {
  return prefix === 0 ? 0n : (V6_ALL << BigInt(128 - prefix)) & V6_ALL;
}

/**
 * "10.0.0.0/8", "2001:db8::/32", "192.0.2.7" (an IPv6 address may be in
 * brackets, as in URIs) -> Cidr, or a message saying what is wrong. Host bits
 * set under the prefix ("10.0.0.1/8") are refused with the subnet meant: the
 * intent is ambiguous.
 */
export function parseCidr(text: string): Cidr | string {
  let s = text.trim();
  if (s.startsWith('[')) s = s.replace(/^\[([^\]]*)\]/, '$1');
  if (/^\d{1,3}(\.\d{1,3}){0,2}\.$/.test(s)) {
    const parts = s.slice(0, -1).split('.');
    return `"${s}" is a Kamailio-style text prefix; write a CIDR prefix: "${[...parts, ...new Array<string>(4 - parts.length).fill('0')].join('.')}/${parts.length * 8}"`;
  }
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const prefixText = slash < 0 ? undefined : s.slice(slash + 1);
  const v4 = parseIpv4(addrText);
  const v6 = v4 >= 0 ? undefined : parseIpv6(addrText);
  if (v4 < 0 && v6 === undefined) return `"${addrText}" is not an IPv4 or IPv6 address`;
  const max = v4 >= 0 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return `prefix length "/${prefixText}" must be 0..${max}`;
    prefix = Number(prefixText);
  }
  if (v4 >= 0) {
    const mask = v4Mask(prefix);
    if (((v4 & mask) >>> 0) !== v4) return `${s} has host bits set: the subnet is ${formatIpv4((v4 & mask) >>> 0)}/${prefix}`;
    return { v: 4, net: v4, mask, prefix };
  }
  const n = v6 as bigint;
  // ::ffff:a.b.c.d/96+ is an IPv4 subnet written in IPv6 form: fold it, as addresses are folded
  if (n >> 32n === 0xffffn && prefix >= 96) {
    const p4 = prefix - 96;
    const net4 = Number(n & 0xffffffffn);
    const mask4 = v4Mask(p4);
    if (((net4 & mask4) >>> 0) !== net4) return `${s} has host bits set`;
    return { v: 4, net: net4, mask: mask4, prefix: p4 };
  }
  const mask = v6Mask(prefix);
  if ((n & mask) !== n) return `${s} has host bits set: the subnet is ${formatIpv6(n & mask)}/${prefix}`;
  return { v: 6, net: n, mask, prefix };
}

export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  if (c.v === 4) return ip.v === 4 && ((ip.n & c.mask) >>> 0) === c.net;
  return ip.v === 6 && (ip.n & c.mask) === c.net;
}

export function isExact(c: Cidr): boolean {
  return c.prefix === (c.v === 4 ? 32 : 128);
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 5952 text: lower-case, longest zero run (of 2+) compressed. */
export function formatIpv6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  if (n >> 32n === 0xffffn) return `::ffff:${formatIpv4(Number(n & 0xffffffffn))}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6. */
export function formatIp(ip: ParsedIp): string {
  return ip.v === 4 ? formatIpv4(ip.n) : formatIpv6(ip.n);
}

export function formatCidr(c: Cidr): string {
  const a = c.v === 4 ? formatIpv4(c.net) : formatIpv6(c.net);
  return isExact(c) ? a : `${a}/${c.prefix}`;
}
