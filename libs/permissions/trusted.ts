// Kamailio `trusted` table: peers whose requests are trusted without
// authentication. A row matches when the source IP is its src_ip (or inside
// it, when written as a subnet), the transport is its proto (or it says any),
// and its optional From / R-URI patterns match. Highest priority wins; the
// winner's tag is the answer (Kamailio peer_tag).
import type { SipMessage } from '#libs/sip';
import { protoOk, type ProtoFilter, type SourceInfo } from './address.ts';
import { cidrContains, formatCidr, isExact, parseCidr, parseIp, type Cidr, type ParsedIp } from '#libs/address';
import { compilePattern } from './rules.ts';

export interface TrustedEntryInput {
  readonly src_ip: string;
  readonly proto: ProtoFilter;
  readonly from_pattern?: string;
  readonly ruri_pattern?: string;
  readonly tag: string;
  readonly priority: number;
}

interface TrustedEntry extends TrustedEntryInput {
  readonly cidr: Cidr;
  readonly from?: RegExp;
  readonly ruri?: RegExp;
  /** position after sorting: lower = tried first */
  readonly rank: number;
}

export interface TrustedDumpRow {
  src_ip: string;
  proto: ProtoFilter;
  from_pattern?: string;
  ruri_pattern?: string;
  tag: string;
  priority: number;
}

/** From URI as written (inside <>), what Kamailio matches from_pattern against. */
export function fromUriText(msg: SipMessage): string | undefined {
  return msg.from()?.uriText;
}

export class TrustedTable {
  private readonly sorted: readonly TrustedEntry[];
  private readonly exact4 = new Map<number, TrustedEntry[]>();
  private readonly exact6 = new Map<bigint, TrustedEntry[]>();
  private readonly subnets: TrustedEntry[] = [];

  constructor(entries: readonly TrustedEntryInput[]) {
    // stable sort: equal priorities keep their written order
    const ordered = entries.map((e, i) => ({ e, i })).sort((a, b) => b.e.priority - a.e.priority || a.i - b.i);
    this.sorted = ordered.map(({ e }, rank) => {
      const cidr = parseCidr(e.src_ip);
      if (typeof cidr === 'string') throw new Error(`trusted ${e.tag}: ${cidr}`);
      const entry: TrustedEntry = Object.freeze({
        ...e,
        cidr,
        rank,
        ...(e.from_pattern !== undefined ? { from: compilePattern(e.from_pattern) } : {}),
        ...(e.ruri_pattern !== undefined ? { ruri: compilePattern(e.ruri_pattern) } : {}),
      });
      return entry;
    });
    for (const e of this.sorted) {
      if (!isExact(e.cidr)) this.subnets.push(e);
      else if (e.cidr.v === 4) push(this.exact4, e.cidr.net, e);
      else push(this.exact6, e.cidr.net, e);
    }
  }

  get size(): number {
    return this.sorted.length;
  }

  /** Kamailio allow_trusted(): the tag of the best matching row, or undefined when not trusted. */
  allowTrusted(source: SourceInfo, msg: SipMessage, ip: ParsedIp | undefined = parseIp(source.address)): string | undefined {
    if (ip === undefined || this.sorted.length === 0) return undefined;
    const exact = ip.v === 4 ? this.exact4.get(ip.n) : this.exact6.get(ip.n);
    // both lists are in rank order: the first hit of each is its best; the lower rank wins
    let best: TrustedEntry | undefined;
    if (exact !== undefined) best = exact.find((e) => this.rowMatches(e, source, msg));
    for (const e of this.subnets) {
      if (best !== undefined && e.rank > best.rank) break;
      if (cidrContains(e.cidr, ip) && this.rowMatches(e, source, msg)) {
        best = e;
        break;
      }
    }
    return best?.tag;
  }

  dump(): TrustedDumpRow[] {
    return this.sorted.map((e) => ({
      src_ip: formatCidr(e.cidr),
      proto: e.proto,
      ...(e.from_pattern !== undefined ? { from_pattern: e.from_pattern } : {}),
      ...(e.ruri_pattern !== undefined ? { ruri_pattern: e.ruri_pattern } : {}),
      tag: e.tag,
      priority: e.priority,
    }));
  }

  private rowMatches(e: TrustedEntry, source: SourceInfo, msg: SipMessage): boolean {
    if (!protoOk(e.proto, source.proto)) return false;
    if (e.from !== undefined) {
      const from = fromUriText(msg);
      if (from === undefined || !e.from.test(from)) return false;
    }
    if (e.ruri !== undefined && !e.ruri.test(msg.uri)) return false;
    return true;
  }
}

function push<K>(m: Map<K, TrustedEntry[]>, k: K, e: TrustedEntry): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [e]);
  else list.push(e);
}
