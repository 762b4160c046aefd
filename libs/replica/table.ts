// ReplicatedTable: a local Map answering get() synchronously on the hot path
// (ban check, ACL), kept current cluster-wide.
//   write: store first (Redis is the truth), then the local Map, then a bus event
//   read:  the local Map only, honouring each entry's expiry
//   converge: full reload from the store at start, after a NATS or Redis
//             reconnect and every resyncIntervalMs
// Ordering: every write carries a version (VersionClock, ms-based) and its
// node id; an event older than what the Map holds is ignored, and deletes
// leave a tombstone for tombstoneTtlMs so a late event cannot resurrect the
// entry. See docs/cluster.md for the merge rules.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { subjectFor, type Bus, type BusMessage, type Channel, type Unsubscribe } from '#libs/bus';
import type { SharedState, TableEntry } from '#libs/state';
import { compareWrites, VersionClock } from './clock.ts';
import { ReplicaError } from './errors.ts';
import { ReplicaMetrics, type ResyncReason } from './metrics.ts';
import { Resyncer } from './resync.ts';

export const REPLICATED_TABLE_DEFAULTS = { resyncIntervalMs: 30_000, tombstoneTtlMs: 60_000 } as const;
const SWEEP_EVERY_MS = 10_000;

export interface ReplicatedTableOptions {
  /** Table name in the TableStore and on the bus: letters, digits, "_" and "-". */
  name: string;
  /** "table" (default) publishes on sbc.<cluster>.table.<name>; "ban" on sbc.<cluster>.ban (ipban). */
  channel?: 'table' | 'ban';
  state: Pick<SharedState, 'tables' | 'onStatus'>;
  bus: Bus;
  logger: Logger;
  registry: Registry;
  /** Full reload from the store this often; 0 disables the timer. Default 30 s. */
  resyncIntervalMs?: number;
  /** How long a delete is remembered to reject late events. Default 60 s. */
  tombstoneTtlMs?: number;
  now?: () => number;
}

export interface ReplicaEntry {
  key: string;
  value: string;
  /** Absolute expiry in this node's clock; null = never. */
  expiresAt: number | null;
}

/** Where a change came from: this node's set/delete, a bus event, or a store reload. */
export type ChangeSource = 'local' | 'bus' | 'resync';

/** Reported to onChange listeners (expiry is not reported: get() just stops returning the entry). */
export type TableChange =
  | { type: 'set'; key: string; value: string; expiresAt: number | null; source: ChangeSource }
  | { type: 'delete'; key: string; source: ChangeSource };

interface Rec {
  /** null = tombstone */
  value: string | null;
  /** entry expiry, or for a tombstone the time it may be forgotten */
  expiresAt: number | null;
  version: number;
  origin: string;
  /** local change counter at the time of the change (merge rule of resync) */
  seq: number;
}

export class ReplicatedTable {
  readonly name: string;
  private readonly map = new Map<string, Rec>();
  private live = 0;
  private seq = 0;
  private closed = false;
  private readonly channel: Extract<Channel, { kind: 'ban' | 'table' }>;
  private readonly clock: VersionClock;
  private readonly now: () => number;
  private readonly tombstoneTtlMs: number;
  private readonly logger: Logger;
  private readonly metrics: ReplicaMetrics;
  private readonly resyncer: Resyncer;
  private readonly listeners = new Set<(c: TableChange) => void>();
  private unsubscribe: Unsubscribe | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  /** Subscribes, loads the whole table from the store, then keeps it current.
   *  Rejects (REPLICA_LOAD_FAILED) when the store cannot be read. */
  static async start(opts: ReplicatedTableOptions): Promise<ReplicatedTable> {
    const t = new ReplicatedTable(opts);
    t.unsubscribe = t.opts.bus.subscribe(t.channel, (m) => t.onEvent(m));
    try {
      await t.resyncer.resync('start');
    } catch (cause) {
      await t.close();
      throw new ReplicaError('REPLICA_LOAD_FAILED', `cannot load table ${t.name} from the store: is Redis reachable (state url)?`, { cause });
    }
    t.resyncer.start();
    // Independent of the resync timer (which may be disabled): keeps tombstones bounded.
    t.sweeper = setInterval(() => t.prune(), Math.min(t.tombstoneTtlMs, SWEEP_EVERY_MS));
    t.sweeper.unref();
    return t;
  }

  private constructor(private readonly opts: ReplicatedTableOptions) {
    this.name = opts.name;
    this.channel = opts.channel === 'ban' ? { kind: 'ban' } : { kind: 'table', name: opts.name };
    subjectFor(opts.bus.cluster, { kind: 'table', name: opts.name }); // fail fast on a name the bus cannot carry
    this.now = opts.now ?? Date.now;
    this.clock = new VersionClock(this.now);
    this.tombstoneTtlMs = opts.tombstoneTtlMs ?? REPLICATED_TABLE_DEFAULTS.tombstoneTtlMs;
    this.logger = opts.logger.child({ component: 'replica', table: opts.name });
    this.metrics = new ReplicaMetrics(opts.registry, opts.name);
    this.resyncer = new Resyncer({
      bus: opts.bus,
      store: opts.state,
      intervalMs: opts.resyncIntervalMs ?? REPLICATED_TABLE_DEFAULTS.resyncIntervalMs,
      pass: (reason) => this.pass(reason),
      logger: this.logger,
      metrics: this.metrics,
    });
  }

  // ------------------------------------------------------------ hot path

  /** The live value, or undefined (absent, deleted or expired). Local, synchronous. */
  get(key: string): string | undefined {
    const r = this.map.get(key);
    if (!r || r.value === null) return undefined;
    if (r.expiresAt !== null && r.expiresAt <= this.now()) {
      this.expire(key, r);
      return undefined;
    }
    return r.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  entry(key: string): ReplicaEntry | undefined {
    const value = this.get(key);
    return value === undefined ? undefined : { key, value, expiresAt: this.map.get(key)!.expiresAt };
  }

  /** Live entries (optionally whose key starts with prefix), from the local replica. */
  entries(prefix = ''): ReplicaEntry[] {
    const now = this.now();
    const out: ReplicaEntry[] = [];
    for (const [key, r] of this.map) {
      if (r.value === null || !key.startsWith(prefix)) continue;
      if (r.expiresAt !== null && r.expiresAt <= now) continue;
      out.push({ key, value: r.value, expiresAt: r.expiresAt });
    }
    return out;
  }

  /** Live entries held locally (entries past their expiry count until the next sweep). */
  get size(): number {
    return this.live;
  }

  onChange(cb: (c: TableChange) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => { this.listeners.delete(cb); };
  }

  // ------------------------------------------------------------ writes

  /** Writes the store (rejects, changing nothing, when it is unreachable),
   *  then the local replica, then tells the cluster. ttlMs undefined = no expiry. */
  async set(key: string, value: string, ttlMs?: number): Promise<ReplicaEntry> {
    this.assertOpen();
    const version = this.clock.next();
    const stored: TableEntry = await this.opts.state.tables.set(this.name, key, value, ttlMs);
    this.apply(key, { value, expiresAt: stored.expiresAt, version, origin: this.opts.bus.node }, 'local');
    this.opts.bus.publish(this.channel, { type: 'table.set', payload: { table: this.name, key, value, ttlMs: stored.ttlMs, version } });
    return { key, value, expiresAt: stored.expiresAt };
  }

  /** Deletes in the store, locally and cluster-wide; resolves true when the store had the entry. */
  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    const version = this.clock.next();
    const existed = await this.opts.state.tables.delete(this.name, key);
    this.apply(key, { value: null, expiresAt: this.now() + this.tombstoneTtlMs, version, origin: this.opts.bus.node }, 'local');
    this.opts.bus.publish(this.channel, { type: 'table.delete', payload: { table: this.name, key, version } });
    return existed;
  }

  /** Reloads from the store now (admin "reload"); rejects when the store is unreachable. */
  resync(reason: ResyncReason = 'manual'): Promise<void> {
    return this.resyncer.resync(reason);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resyncer.stop();
    clearInterval(this.sweeper);
    this.unsubscribe?.();
    this.listeners.clear();
  }

  // ------------------------------------------------------------ internals

  private assertOpen(): void {
    if (this.closed) throw new ReplicaError('REPLICA_CLOSED', `table ${this.name} is closed`);
  }

  private onEvent(msg: BusMessage<'table.set' | 'table.delete'>): void {
    const p = msg.payload;
    if (p.table !== this.name) return; // the ban channel may carry other tables
    this.clock.observe(p.version);
    const cur = this.map.get(p.key);
    if (cur && compareWrites(cur, { version: p.version, origin: msg.node }) >= 0) {
      if (msg.node !== this.opts.bus.node) this.metrics.staleEvent(); // our own echo is expected
      return;
    }
    const now = this.now();
    const rec = msg.type === 'table.set'
      ? { value: msg.payload.value, expiresAt: msg.payload.ttlMs === null ? null : now + msg.payload.ttlMs, version: p.version, origin: msg.node }
      : { value: null, expiresAt: now + this.tombstoneTtlMs, version: p.version, origin: msg.node };
    this.apply(p.key, rec, 'bus');
    if (msg.node !== this.opts.bus.node) this.metrics.newsApplied(msg.ts, Date.now());
  }

  /** Sets a record if it is newer than the one held; reports the change. */
  private apply(key: string, next: Omit<Rec, 'seq'>, source: ChangeSource): void {
    const cur = this.map.get(key);
    if (cur && compareWrites(cur, next) >= 0) return;
    this.store(key, { ...next, seq: ++this.seq }, cur, source);
  }

  private store(key: string, rec: Rec, cur: Rec | undefined, source: ChangeSource): void {
    this.map.set(key, rec);
    const wasLive = cur !== undefined && cur.value !== null;
    const isLive = rec.value !== null;
    this.live += Number(isLive) - Number(wasLive);
    this.metrics.setEntries(this.live);
    if (rec.value !== null) {
      if (cur?.value !== rec.value || (cur.expiresAt === null) !== (rec.expiresAt === null)) {
        this.emit({ type: 'set', key, value: rec.value, expiresAt: rec.expiresAt, source });
      }
    } else if (wasLive) {
      this.emit({ type: 'delete', key, source });
    }
  }

  /** An expired entry becomes a tombstone with the same version (a duplicate
   *  of its old set event must not bring it back). */
  private expire(key: string, r: Rec): void {
    this.map.set(key, { value: null, expiresAt: this.now() + this.tombstoneTtlMs, version: r.version, origin: r.origin, seq: r.seq });
    this.live--;
    this.metrics.setEntries(this.live);
  }

  /** Sweeper: expire entries (keeps the gauge honest), forget old tombstones. */
  private prune(): void {
    const now = this.now();
    for (const [key, r] of this.map) {
      if (r.expiresAt === null || r.expiresAt > now) continue;
      if (r.value === null) this.map.delete(key);
      else this.expire(key, r);
    }
  }

  /**
   * One reload. Keys changed locally (event or own write) after the read
   * started keep their local state: the dump may predate them. Everything
   * else takes the store's state, keeping the highest version known for the
   * key so older events are still rejected afterwards.
   */
  private async pass(reason: ResyncReason): Promise<void> {
    const seqAtStart = this.seq;
    const dump = await this.opts.state.tables.dump(this.name);
    const inStore = new Set<string>();
    let changed = 0;
    for (const e of dump) {
      inStore.add(e.key);
      const cur = this.map.get(e.key);
      if (cur && cur.seq > seqAtStart) continue;
      const same = cur?.value === e.value && (cur.expiresAt === null) === (e.expiresAt === null);
      if (!same) changed++;
      this.store(e.key, { value: e.value, expiresAt: e.expiresAt, version: cur?.version ?? 0, origin: cur?.origin ?? '', seq: cur?.seq ?? 0 }, cur, 'resync');
    }
    const tombstoneUntil = this.now() + this.tombstoneTtlMs;
    for (const [key, cur] of this.map) {
      if (inStore.has(key) || cur.seq > seqAtStart || cur.value === null) continue;
      changed++;
      this.store(key, { value: null, expiresAt: tombstoneUntil, version: cur.version, origin: cur.origin, seq: cur.seq }, cur, 'resync');
    }
    this.logger[changed > 0 && reason !== 'start' ? 'info' : 'debug']({ reason, entries: this.live, changed }, 'replica resynced');
  }

  private emit(c: TableChange): void {
    for (const cb of this.listeners) {
      try { cb(c); } catch (err) { this.logger.error({ err }, 'replica change listener failed'); }
    }
  }
}
