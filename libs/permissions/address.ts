// Kamailio `address` table: groups of IPs and subnets with port and transport.
// Compiled once per (re)load into numeric form, so a request costs one parse
// of its source address and a few Map lookups (see GroupIndex).
import { AddressMatcher, formatCidr, isExact, parseCidr, parseIp, type Cidr, type ParsedIp } from '#libs/address';

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

/** proto undefined = the caller does not care (allow_address has no proto argument). */
export function protoOk(entryProto: ProtoFilter, proto: string | undefined): boolean {
  return entryProto === 'any' || proto === undefined || entryProto === proto;
}

/**
 * One group: the shared address matcher (libs/address) over its entries, so
 * a lookup is one Map get per distinct prefix length, however many subnets
 * the group has, and the most specific entry (and its tag) wins.
 */
function groupIndex(entries: readonly AddressEntry[]): AddressMatcher<AddressEntry> {
  return new AddressMatcher(entries.map((e) => ({ cidr: e.cidr, port: e.port, proto: e.proto, value: e })));
}

export class AddressTable {
  private readonly groups = new Map<number, AddressMatcher<AddressEntry>>();
  private readonly all: readonly AddressEntry[];

  /** Throws on an entry whose ip is not an IP/CIDR (config validation catches it first). */
  constructor(entries: readonly AddressEntryInput[]) {
    const compiled: AddressEntry[] = [];
    const byGroup = new Map<number, AddressEntry[]>();
    for (const input of entries) {
      const cidr = parseCidr(input.ip);
      if (typeof cidr === 'string') throw new Error(`address group ${input.group}: ${cidr}`);
      const e: AddressEntry = Object.freeze({ ...input, cidr });
      compiled.push(e);
      const list = byGroup.get(e.group);
      if (list === undefined) byGroup.set(e.group, [e]);
      else list.push(e);
    }
    for (const [group, list] of byGroup) this.groups.set(group, groupIndex(list));
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
    return g.match(ip, port, proto);
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
