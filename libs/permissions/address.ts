// Kamailio `address` table: groups of IPs and subnets with port and transport.
// Compiled once per (re)load into numeric form, so a request costs one parse
// of its source address and a few Map lookups (see GroupIndex).
import { formatCidr, isExact, parseCidr, parseIp, type Cidr, type ParsedIp } from './ip.ts';

export const PROTOS = ['any', 'udp', 'tcp', 'tls', 'ws', 'wss', 'sctp'] as const;
export type ProtoFilter = (typeof PROTOS)[number];

export interface AddressEntryInput {
  readonly group: number;
  /** IP or CIDR, IPv4 or IPv6 */
  readonly ip: string;
  /** 0 = any port */
  readonly port: number;
  readonly proto: ProtoFilter;
  readonly tag?: string;
}

export interface AddressEntry extends AddressEntryInput {
  readonly cidr: Cidr;
}

/** What a request source looks like to the matchers (transport RemoteInfo fits). */
export interface SourceInfo {
  readonly address: string;
  readonly port: number;
  readonly proto: string;
}

function portOk(e: AddressEntry, port: number): boolean {
  return e.port === 0 || e.port === port;
}

/** proto undefined = the caller does not care (allow_address has no proto argument). */
export function protoOk(entryProto: ProtoFilter, proto: string | undefined): boolean {
  return entryProto === 'any' || proto === undefined || entryProto === proto;
}

/** Entries of one prefix length, keyed by their network address. */
interface Bucket<N> {
  readonly prefix: number;
  readonly mask: N;
  readonly byNet: Map<N, AddressEntry[]>;
}

/**
 * One group. Entries are bucketed by prefix length, longest first (an exact
 * address is prefix 32 / 128): a lookup is one Map get per distinct prefix
 * length, however many subnets the group has, and the most specific entry
 * (and its tag) wins.
 */
class GroupIndex {
  private v4: Bucket<number>[] = [];
  private v6: Bucket<bigint>[] = [];

  add(e: AddressEntry): void {
    const c = e.cidr;
    if (c.v === 4) addTo(this.v4, c.prefix, c.mask, c.net, e);
    else addTo(this.v6, c.prefix, c.mask, c.net, e);
  }

  seal(): void {
    this.v4.sort((a, b) => b.prefix - a.prefix);
    this.v6.sort((a, b) => b.prefix - a.prefix);
  }

  match(ip: ParsedIp, port: number, proto: string | undefined): AddressEntry | undefined {
    if (ip.v === 4) {
      for (const b of this.v4) {
        const hit = pick(b.byNet.get((ip.n & b.mask) >>> 0), port, proto);
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
    for (const b of this.v6) {
      const hit = pick(b.byNet.get(ip.n & b.mask), port, proto);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

function addTo<N>(buckets: Bucket<N>[], prefix: number, mask: N, net: N, e: AddressEntry): void {
  let b = buckets.find((x) => x.prefix === prefix);
  if (b === undefined) {
    b = { prefix, mask, byNet: new Map() };
    buckets.push(b);
  }
  const list = b.byNet.get(net);
  if (list === undefined) b.byNet.set(net, [e]);
  else list.push(e);
}

function pick(list: AddressEntry[] | undefined, port: number, proto: string | undefined): AddressEntry | undefined {
  if (list === undefined) return undefined;
  for (const e of list) if (portOk(e, port) && protoOk(e.proto, proto)) return e;
  return undefined;
}

export class AddressTable {
  private readonly groups = new Map<number, GroupIndex>();
  private readonly all: readonly AddressEntry[];

  /** Throws on an entry whose ip is not an IP/CIDR (config validation catches it first). */
  constructor(entries: readonly AddressEntryInput[]) {
    const compiled: AddressEntry[] = [];
    for (const input of entries) {
      const cidr = parseCidr(input.ip);
      if (typeof cidr === 'string') throw new Error(`address group ${input.group}: ${cidr}`);
      const e: AddressEntry = Object.freeze({ ...input, cidr });
      compiled.push(e);
      let g = this.groups.get(e.group);
      if (g === undefined) {
        g = new GroupIndex();
        this.groups.set(e.group, g);
      }
      g.add(e);
    }
    for (const g of this.groups.values()) g.seal();
    this.all = Object.freeze(compiled);
  }

  get size(): number {
    return this.all.length;
  }

  hasGroup(group: number): boolean {
    return this.groups.has(group);
  }

  /** The entry of `group` matching ip/port/proto, or undefined. ip may already be parsed. */
  match(group: number, ip: string | ParsedIp, port: number, proto?: string): AddressEntry | undefined {
    const g = this.groups.get(group);
    if (g === undefined) return undefined;
    const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
    if (parsed === undefined) return undefined;
    return g.match(parsed, port, proto);
  }

  /** Kamailio allow_address(group, ip, port); proto is optional (any when left out). */
  allowAddress(group: number, ip: string, port: number, proto?: string): boolean {
    return this.match(group, ip, port, proto) !== undefined;
  }

  /** Kamailio allow_source_address(group): the request's source IP, port and transport. */
  allowSourceAddress(group: number, source: SourceInfo): boolean {
    return this.match(group, source.address, source.port, source.proto) !== undefined;
  }

  /** Kamailio allow_source_address_group(): the lowest group holding the source, or undefined. */
  groupOf(source: SourceInfo): number | undefined {
    const ip = parseIp(source.address);
    if (ip === undefined) return undefined;
    let best: number | undefined;
    for (const [id, g] of this.groups) {
      if ((best === undefined || id < best) && g.match(ip, source.port, source.proto) !== undefined) best = id;
    }
    return best;
  }

  /** Rows for permissions.address_dump (exact addresses) and permissions.subnet_dump (subnets). */
  dump(kind: 'address' | 'subnet', group?: number): AddressDumpRow[] {
    return this.all
      .filter((e) => isExact(e.cidr) === (kind === 'address') && (group === undefined || e.group === group))
      .map((e) => ({
        group: e.group,
        ip: formatCidr(e.cidr),
        ...(kind === 'subnet' ? { mask: e.cidr.prefix } : {}),
        port: e.port,
        proto: e.proto,
        ...(e.tag !== undefined ? { tag: e.tag } : {}),
      }));
  }
}

export interface AddressDumpRow {
  group: number;
  ip: string;
  mask?: number;
  port: number;
  proto: ProtoFilter;
  tag?: string;
}
