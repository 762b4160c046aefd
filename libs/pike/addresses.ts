// Trusted / exempt source addresses: exact IPs in a Set (the common case, one
// lookup), subnets in a node:net BlockList. IPv4-mapped IPv6 sources
// ("::ffff:192.0.2.1", seen on dual-stack sockets) match their IPv4 rules.
import { BlockList, isIP } from 'node:net';

export type ParsedAddress =
  | { kind: 'ip'; address: string; family: 'ipv4' | 'ipv6' }
  | { kind: 'subnet'; address: string; prefix: number; family: 'ipv4' | 'ipv6' };

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** "192.0.2.1", "2001:db8::1" (or "[2001:db8::1]", as in URIs), "10.0.0.0/8",
 *  "2001:db8::/32"; a message when it is neither. */
export function parseAddressOrCidr(text: string): ParsedAddress | string {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const slash = s.indexOf('/');
  const address = slash < 0 ? s : s.slice(0, slash);
  const v = isIP(address);
  if (v === 0) return `"${text}" is not an IP address or CIDR (e.g. "192.0.2.10" or "10.0.0.0/8")`;
  const family = v === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) return { kind: 'ip', address: address.toLowerCase(), family };
  const p = s.slice(slash + 1);
  const max = v === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) return `"${text}": prefix length must be 0..${max}`;
  return { kind: 'subnet', address, prefix: Number(p), family };
}

/** A source address as matched against rules: lower-case, IPv4-mapped IPv6 unwrapped. */
function canonical(address: string): string {
  const m = MAPPED_V4.exec(address);
  return m ? m[1] : address.toLowerCase();
}

export class AddressSet {
  private readonly exact = new Set<string>();
  private readonly subnets = new BlockList();
  private hasSubnets = false;

  /** Throws on an entry that is not an IP or CIDR (use `addressProblems` first to report them). */
  constructor(entries: Iterable<string>) {
    for (const e of entries) {
      const p = parseAddressOrCidr(e);
      if (typeof p === 'string') throw new Error(p);
      if (p.kind === 'ip') this.exact.add(canonical(p.address));
      else {
        this.subnets.addSubnet(p.address, p.prefix, p.family);
        this.hasSubnets = true;
      }
    }
  }

  has(address: string): boolean {
    if (this.exact.has(address)) return true;
    const a = canonical(address);
    if (a !== address && this.exact.has(a)) return true;
    if (!this.hasSubnets) return false;
    const v = isIP(a);
    return v !== 0 && this.subnets.check(a, v === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Splits a list into usable entries and problems (node-supplied lists may hold host names). */
export function partitionAddresses(entries: Iterable<string>): { ok: string[]; bad: string[] } {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const e of entries) (typeof parseAddressOrCidr(e) === 'string' ? bad : ok).push(e);
  return { ok, bad };
}
