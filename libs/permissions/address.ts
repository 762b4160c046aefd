// Kamailio `address` table: groups of IPs and subnets with port and transport.
// Compiled once per (re)load: exact addresses go to a Map keyed by the
// numeric address, subnets to a list ordered longest prefix first, so a
// request costs one parse of its source, one Map lookup and a few mask tests.
import { cidrContains, formatCidr, isExact, parseCidr, parseIp, type Cidr, type ParsedIp } from './ip.ts';

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

class GroupIndex {
  readonly exact4 = new Map<number, AddressEntry[]>();
  readonly exact6 = new Map<bigint, AddressEntry[]>();
  readonly subnets: AddressEntry[] = [];

  add(e: AddressEntry): void {
    if (!isExact(e.cidr)) {
      this.subnets.push(e);
      return;
    }
    const c = e.cidr;
    if (c.v === 4) push(this.exact4, c.net, e);
    else push(this.exact6, c.net, e);
  }

  seal(): void {
    // longest prefix first: the most specific entry (and its tag) wins
    this.subnets.sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  }

  match(ip: ParsedIp, port: number, proto: string | undefined): AddressEntry | undefined {
    const exact = ip.v === 4 ? this.exact4.get(ip.n) : this.exact6.get(ip.n);
    if (exact !== undefined) {
      for (const e of exact) if (portOk(e, port) && protoOk(e.proto, proto)) return e;
    }
    for (const e of this.subnets) if (cidrContains(e.cidr, ip) && portOk(e, port) && protoOk(e.proto, proto)) return e;
    return undefined;
  }
}

function push<K>(m: Map<K, AddressEntry[]>, k: K, e: AddressEntry): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [e]);
  else list.push(e);
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

  /** Rows for permissions.addressDump (exact addresses) and permissions.subnetDump (subnets). */
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
