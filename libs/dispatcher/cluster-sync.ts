// Destination states shared by the cluster. Redis (table "dsstate", one
// record per set+URI) is the truth; NATS gateway.state is the news. A change
// made here (probe answer, relay failure, dispatcher.set_state) is written to
// Redis and announced; news from other nodes is applied with reason
// 'cluster' (within milliseconds); a node that missed news converges from
// Redis at start, after a NATS or Redis reconnect and every resyncIntervalMs.
// Versions (hybrid clock) order news about one destination; on a resync the
// Redis record wins, so every node ends on what Redis holds. A record of a
// destination no longer in this node's sets is deleted on a resync once it is
// older than staleRecordMs (default 24 h): lists change cluster-wide, so by
// then no node uses it, and a URI added back later starts afresh.
import type { Logger } from 'pino';
import type { Bus, BusMessage, GatewayStatePayload, Unsubscribe } from '#libs/bus';
import type { BackendStatus, TableStore } from '#libs/state';
import type { LatencySnapshot } from './latency.ts';
import type { DispatcherState, SharedDestination } from './state.ts';
import type { ChangeReason, DestinationState, StateKind } from './types.ts';

/** The TableStore table holding destination states. */
export const DS_STATE_TABLE = 'dsstate';

export interface DestinationSyncOptions {
  readonly ds: DispatcherState;
  readonly state: { readonly tables: TableStore; onStatus(cb: (s: BackendStatus) => void): Unsubscribe };
  readonly bus: Bus;
  readonly logger: Logger;
  /** full reload from Redis this often; 0 = only at start and on reconnects */
  readonly resyncIntervalMs: number;
  /**
   * New latency figures without a state change are shared at most this often
   * per destination (default 5 s): each is a NATS message and a Redis write
   * that every node applies, so sharing every probe's figures cost more than
   * the probe itself (bench:probing). State changes are shared at once.
   */
  readonly latencyShareMs?: number;
  /** a record of a destination absent from this node's sets is deleted on a resync once older than this (default 24 h) */
  readonly staleRecordMs?: number;
  readonly now?: () => number;
}

const DEFAULT_STALE_RECORD_MS = 24 * 3600_000;

interface StoredRecord {
  /** state kind */
  s: StateKind;
  /** failures (probing) / successes (inactive) */
  n?: number;
  /** probe flag */
  p: boolean;
  /** version */
  v: number;
  /** writer node */
  o: string;
  /** why */
  r?: string;
  l?: LatencySnapshot;
}

const key = (setId: number, uri: string) => `${setId} ${uri}`;

function countOf(s: DestinationState): number | undefined {
  return s.kind === 'probing' ? s.failures : s.kind === 'inactive' ? s.successes : undefined;
}

function stateOf(kind: StateKind, n: number | undefined): DestinationState {
  switch (kind) {
    case 'probing': return { kind, failures: n ?? 0 };
    case 'inactive': return { kind, successes: n ?? 0 };
    default: return { kind };
  }
}

function parseRecord(text: string): StoredRecord | undefined {
  try {
    const r = JSON.parse(text) as StoredRecord;
    return r && typeof r.s === 'string' && typeof r.v === 'number' && typeof r.p === 'boolean' ? r : undefined;
  } catch {
    return undefined;
  }
}

export class DestinationSync {
  /** version held per destination key */
  private readonly held = new Map<string, number>();
  /** keys changed since a resync pass started (they keep their local state) */
  private readonly touched = new Set<string>();
  private readonly dirty = new Map<string, { setId: number; uri: string; reason: ChangeReason }>();
  /** latency-only changes waiting for their turn, and when each destination's figures were last shared */
  private readonly latencyDue = new Map<string, { setId: number; uri: string }>();
  private readonly latencySharedAt = new Map<string, number>();
  private latencyTimer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private last = 0;
  private readonly offs: Unsubscribe[] = [];
  private timer: NodeJS.Timeout | undefined;
  private resyncing: Promise<void> | undefined;
  private closed = false;

  private constructor(private readonly o: DestinationSyncOptions) {}

  /** Subscribes, loads what Redis holds (failure is logged: the node starts from its list file), then follows the cluster. */
  static async start(o: DestinationSyncOptions): Promise<DestinationSync> {
    const s = new DestinationSync(o);
    s.offs.push(o.bus.subscribe({ kind: 'gateway' }, (m) => s.onNews(m)));
    s.offs.push(o.ds.on('state', (e) => { if (e.reason !== 'cluster') s.markDirty(e.setId, e.uri, e.reason); }));
    s.offs.push(o.ds.on('latency', (e) => { if (e.reason !== 'cluster') s.latencyChanged(e.setId, e.uri); }));
    s.offs.push(o.bus.onStatus((st) => { if (st.type === 'reconnected') s.background('bus_reconnect'); }));
    s.offs.push(o.state.onStatus((st) => { if (st.up && st.reconnect) s.background('store_reconnect'); }));
    await o.bus.flush().catch(() => undefined);
    await s.resync('start').catch((err: unknown) => o.logger.warn({ err }, 'dispatcher: destination states not loaded from Redis; starting from the list file'));
    if (o.resyncIntervalMs > 0) {
      s.timer = setInterval(() => s.background('periodic'), o.resyncIntervalMs);
      s.timer.unref();
    }
    return s;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.latencyTimer);
    for (const off of this.offs.splice(0)) off();
  }

  private nextVersion(): number {
    this.last = Math.max(Math.floor((this.o.now ?? Date.now)()), this.last + 1);
    return this.last;
  }

  private markDirty(setId: number, uri: string, reason: ChangeReason): void {
    const k = key(setId, uri);
    this.touched.add(k);
    this.dirty.set(k, { setId, uri, reason });
    if (this.flushQueued) return;
    this.flushQueued = true;
    // a probe answer changes latency and state in one go: one write, one message
    queueMicrotask(() => this.flush());
  }

  private latencyChanged(setId: number, uri: string): void {
    const k = key(setId, uri);
    const now = (this.o.now ?? Date.now)();
    const every = this.o.latencyShareMs ?? 5000;
    if (now - (this.latencySharedAt.get(k) ?? -Infinity) >= every) {
      this.latencySharedAt.set(k, now);
      this.markDirty(setId, uri, 'probe');
      return;
    }
    this.latencyDue.set(k, { setId, uri });
    if (this.latencyTimer === undefined) {
      this.latencyTimer = setInterval(() => this.flushLatency(), every);
      this.latencyTimer.unref();
    }
  }

  private flushLatency(): void {
    const now = (this.o.now ?? Date.now)();
    for (const [k, it] of this.latencyDue) {
      this.latencySharedAt.set(k, now);
      this.markDirty(it.setId, it.uri, 'probe');
    }
    this.latencyDue.clear();
  }

  private flush(): void {
    this.flushQueued = false;
    const items = [...this.dirty.values()];
    this.dirty.clear();
    for (const it of items) this.share(it.setId, it.uri, it.reason);
  }

  private share(setId: number, uri: string, reason: ChangeReason): void {
    if (this.closed) return;
    const cur = this.o.ds.shared(setId, uri);
    if (!cur) return;
    const version = this.nextVersion();
    const k = key(setId, uri);
    this.latencyDue.delete(k); // a state change carries the latest figures too
    this.held.set(k, version);
    const n = countOf(cur.state);
    const rec: StoredRecord = { s: cur.state.kind, ...(n !== undefined ? { n } : {}), p: cur.probe, v: version, o: this.o.bus.node, r: reason, ...(cur.latency ? { l: cur.latency } : {}) };
    // news first: the other nodes must stop using a dead gateway now; Redis is
    // written in the same tick and is what late or disconnected nodes read
    const payload: GatewayStatePayload = { set: setId, uri, state: cur.state.kind, reason, probe: cur.probe, version, ...(n !== undefined ? { count: n } : {}), ...(cur.latency ? { latency: { ...cur.latency } } : {}) };
    this.o.bus.publish({ kind: 'gateway' }, { type: 'gateway.state', payload });
    this.o.state.tables.set(DS_STATE_TABLE, k, JSON.stringify(rec)).catch((err: unknown) => {
      this.o.logger.warn({ err, set: setId, uri }, 'dispatcher: destination state not written to Redis (news sent; nodes starting later will not see it until the next change)');
    });
  }

  private onNews(m: BusMessage<'gateway.state'>): void {
    if (m.node === this.o.bus.node) return;
    const p = m.payload;
    const k = key(p.set, p.uri);
    const version = p.version ?? 0;
    if ((this.held.get(k) ?? -1) >= version) return;
    this.held.set(k, version);
    this.touched.add(k);
    if (version > this.last) this.last = version;
    this.o.ds.applyShared(p.set, p.uri, this.toShared(p.state, p.count, p.probe ?? this.o.ds.status(p.set, p.uri)?.probe ?? false, p.latency));
  }

  private toShared(kind: StateKind, n: number | undefined, probe: boolean, latency: LatencySnapshot | undefined): SharedDestination {
    return { state: stateOf(kind, n), probe, ...(latency ? { latency } : {}) };
  }

  private background(reason: string): void {
    this.resync(reason).catch((err: unknown) => this.o.logger.warn({ err, reason }, 'dispatcher: destination state resync failed; will retry'));
  }

  /** Reads every record from Redis and applies those that differ from what this node holds. */
  resync(reason: string): Promise<void> {
    this.resyncing ??= this.pass(reason).finally(() => { this.resyncing = undefined; });
    return this.resyncing;
  }

  private async pass(reason: string): Promise<void> {
    this.touched.clear();
    const entries = await this.o.state.tables.dump(DS_STATE_TABLE);
    const staleBefore = (this.o.now ?? Date.now)() - (this.o.staleRecordMs ?? DEFAULT_STALE_RECORD_MS);
    const stale: string[] = [];
    let applied = 0;
    for (const e of entries) {
      if (this.touched.has(e.key)) continue;
      const rec = parseRecord(e.value);
      const sp = e.key.indexOf(' ');
      if (!rec || sp < 0) continue;
      const setId = Number(e.key.slice(0, sp));
      const uri = e.key.slice(sp + 1);
      if (this.o.ds.status(setId, uri) === undefined) {
        if (rec.v < staleBefore) stale.push(e.key);
        continue;
      }
      if (this.held.get(e.key) === rec.v) continue;
      if (!this.o.ds.applyShared(setId, uri, this.toShared(rec.s, rec.n, rec.p, rec.l))) continue;
      this.held.set(e.key, rec.v);
      if (rec.v > this.last) this.last = rec.v;
      applied++;
    }
    if (applied > 0) this.o.logger.info({ reason, applied }, 'dispatcher: destination states taken from Redis');
    if (stale.length > 0) await this.prune(stale);
  }

  /** Deletes records of destinations gone from the sets (best effort: the next resync tries again). */
  private async prune(keys: string[]): Promise<void> {
    const gone = await Promise.all(keys.map((k) => this.o.state.tables.delete(DS_STATE_TABLE, k).catch(() => false)));
    for (const k of keys) this.held.delete(k);
    this.o.logger.info({ pruned: gone.filter(Boolean).length, destinations: keys.slice(0, 5) }, 'dispatcher: deleted stored states of destinations no longer in any set');
  }
}
