// One matcher of source addresses against rules (IP or CIDR, optionally a
// port and a transport), for every feature that lists addresses: permissions
// groups, secfilter ip lists, pike's exempt sources.
//
// Rules are bucketed by prefix length, longest first, and keyed by network
// number: a lookup is one Map get per distinct prefix length present (a
// handful in practice) however many rules there are, and the most specific
// rule wins. An IPv4 source (the common case) is parsed to a number without
// allocating; IPv4-mapped IPv6 (::ffff:a.b.c.d) matches IPv4 rules.
import { parseCidr, parseIp, parseIpv4, type Cidr, type ParsedIp } from './ip.ts';

export interface AddressRule<T> {
  readonly cidr: Cidr;
  /** 0 or absent: any port */
  readonly port?: number;
  /** 'any' or absent: any transport; else compared with the source's ('udp', 'tcp'...) */
  readonly proto?: string;
  /** what a match returns (the rule itself, a group, true...) */
  readonly value: T;
}

interface Bucket<N, T> {
  readonly prefix: number;
  readonly mask: N;
  readonly byNet: Map<N, AddressRule<T>[]>;
}

export class AddressMatcher<T = true> {
  private readonly v4: Bucket<number, T>[] = [];
  private readonly v6: Bucket<bigint, T>[] = [];
  readonly size: number;

  constructor(rules: Iterable<AddressRule<T>>) {
    let n = 0;
    for (const r of rules) {
      const c = r.cidr;
      if (c.v === 4) add(this.v4, c.prefix, c.mask, c.net, r);
      else add(this.v6, c.prefix, c.mask, c.net, r);
      n++;
    }
    this.v4.sort((a, b) => b.prefix - a.prefix);
    this.v6.sort((a, b) => b.prefix - a.prefix);
    this.size = n;
  }

  /** Rules from address texts (IP or CIDR), each matching any port and transport; throws on one that is neither. */
  static of(texts: Iterable<string>): AddressMatcher<true> {
    const rules: AddressRule<true>[] = [];
    for (const t of texts) {
      const cidr = parseCidr(t);
      if (typeof cidr === 'string') throw new Error(cidr);
      rules.push({ cidr, value: true });
    }
    return new AddressMatcher(rules);
  }

  /**
   * The value of the most specific rule matching `ip` (text or parsed), or
   * undefined (also for text that is not an IP). `port` / `proto` undefined:
   * the caller does not care (rules with a port or transport match too).
   */
  match(ip: string | ParsedIp, port?: number, proto?: string): T | undefined {
    if (this.size === 0) return undefined;
    if (typeof ip === 'string') {
      const n = parseIpv4(ip);
      if (n >= 0) return this.matchV4(n, port, proto);
      const parsed = parseIp(ip);
      if (parsed === undefined) return undefined;
      ip = parsed;
    }
    if (ip.v === 4) return this.matchV4(ip.n, port, proto);
    for (const b of this.v6) {
      const hit = pick(b.byNet.get(ip.n & b.mask), port, proto);
      if (hit !== undefined) return hit.value;
    }
    return undefined;
  }

  has(ip: string | ParsedIp, port?: number, proto?: string): boolean {
    return this.match(ip, port, proto) !== undefined;
  }

  private matchV4(n: number, port: number | undefined, proto: string | undefined): T | undefined {
    for (const b of this.v4) {
      const hit = pick(b.byNet.get((n & b.mask) >>> 0), port, proto);
      if (hit !== undefined) return hit.value;
    }
    return undefined;
  }
}

function add<N, T>(buckets: Bucket<N, T>[], prefix: number, mask: N, net: N, r: AddressRule<T>): void {
  let b = buckets.find((x) => x.prefix === prefix);
  if (b === undefined) {
    b = { prefix, mask, byNet: new Map() };
    buckets.push(b);
  }
  const list = b.byNet.get(net);
  if (list === undefined) b.byNet.set(net, [r]);
  else list.push(r);
}

function pick<T>(list: AddressRule<T>[] | undefined, port: number | undefined, proto: string | undefined): AddressRule<T> | undefined {
  if (list === undefined) return undefined;
  for (const r of list) {
    if (port !== undefined && r.port !== undefined && r.port !== 0 && r.port !== port) continue;
    if (proto !== undefined && r.proto !== undefined && r.proto !== 'any' && r.proto !== proto) continue;
    return r;
  }
  return undefined;
}

