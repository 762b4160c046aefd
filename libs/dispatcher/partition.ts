// One prober per destination, cluster-wide. Live nodes are members of the
// lease group "ds-probe" (libs/state LeaseStore, Redis in a cluster); each
// destination goes to the member that rendezvous hashing (highest random
// weight) picks among the live ones, and that member must also hold the
// destination's lease, so two nodes never probe one destination at the same
// time even while they disagree about who is alive. Every tick (one Redis
// round trip) a node renews itself and the leases it should hold, releases
// those it should not, and learns the members; a node that dies stops
// renewing, its membership and leases expire after ttlMs, and the others take
// its destinations at their next tick. Why not BullMQ: libs/dispatcher/README.md.
import type { Logger } from 'pino';
import type { LeaseStore } from '#libs/state';

export const PROBE_LEASE_GROUP = 'ds-probe';

export interface PartitionOptions {
  readonly leases: LeaseStore;
  /** this node's id (unique in the cluster) */
  readonly member: string;
  /** every destination that needs probing now, as lease names */
  readonly names: () => readonly string[];
  readonly tickMs: number;
  /** membership and lease lifetime: a dead node's share moves after at most ttlMs + 2 ticks */
  readonly ttlMs: number;
  readonly logger: Logger;
  readonly group?: string;
  readonly now?: () => number;
}

/** 32-bit FNV-1a, mixed: the rendezvous score of (member, name). */
function score(member: string, name: string): number {
  let h = 0x811c9dc5;
  const s = `${member}\u0000${name}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** The member rendezvous hashing gives `name` to (ties: the smaller id). */
export function ownerOf(name: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const sc = score(m, name);
    if (sc > bestScore || (sc === bestScore && best !== undefined && m < best)) { best = m; bestScore = sc; }
  }
  return best;
}

export class ProbePartition {
  private members: string[];
  private owned = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;
  /** when the last successful renewal was sent: the leases are surely ours until this + ttlMs */
  private renewedAt = -Infinity;
  private readonly group: string;
  private readonly now: () => number;

  constructor(private readonly o: PartitionOptions) {
    this.group = o.group ?? PROBE_LEASE_GROUP;
    this.members = [o.member];
    this.now = o.now ?? Date.now;
  }

  /** true when this node probes `name` now (never past its lease: a stalled node must not probe what another took over) */
  owns(name: string): boolean {
    return this.owned.has(name) && (this.failing || this.now() - this.renewedAt < this.o.ttlMs);
  }

  /** live members as last seen */
  liveMembers(): readonly string[] {
    return this.members;
  }

  ownedCount(): number {
    let n = 0;
    for (const name of this.owned) if (this.owns(name)) n++;
    return n;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** One renewal; concurrent calls share it. */
  tick(): Promise<void> {
    this.running ??= this.sync().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async sync(): Promise<void> {
    const names = this.o.names();
    const members = this.members.includes(this.o.member) ? this.members : [...this.members, this.o.member];
    const want = names.filter((n) => ownerOf(n, members) === this.o.member);
    const wanted = new Set(want);
    const release = [...this.owned].filter((n) => !wanted.has(n));
    const sentAt = this.now();
    try {
      const r = await this.o.leases.sync(this.group, this.o.member, want, release, this.o.ttlMs);
      this.members = r.members;
      this.owned = new Set(r.owned);
      this.renewedAt = sentAt;
      if (this.failing) this.o.logger.info({ members: r.members.length }, 'dispatcher: probe leases renewed again');
      this.failing = false;
    } catch (err) {
      // Redis away: nobody can renew; each node keeps probing its rendezvous
      // share of the members it last saw (no double probing while they agree)
      this.owned = wanted;
      if (!this.failing) this.o.logger.warn({ err }, 'dispatcher: probe leases cannot be renewed; probing this node\'s share of the last known members');
      this.failing = true;
    }
  }

  /** Stops renewing and hands the leases back at once (a graceful stop moves probing without waiting for expiry). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
    const held = [...this.owned];
    this.owned.clear();
    await this.o.leases.leave(this.group, this.o.member, held).catch(() => undefined);
  }
}
