// Replica metrics on the registry the node passes in. Several tables share
// each metric (label `table`); ClusterConfig reports as table="config".
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const REPLICA_METRIC_NAMES = {
  entries: 'sbc_replica_entries',
  resyncs: 'sbc_replica_resyncs_total',
  resyncFailures: 'sbc_replica_resync_failures_total',
  staleEvents: 'sbc_replica_stale_events_total',
  newsLag: 'sbc_replica_news_lag_seconds',
} as const;

/** Why a resync ran: at start, after a NATS or Redis reconnect, on the timer, or on request. */
export type ResyncReason = 'start' | 'bus_reconnect' | 'store_reconnect' | 'periodic' | 'manual';

function getOrCreate<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export class ReplicaMetrics {
  private readonly entries: Gauge<'table'>;
  private readonly resyncs: Counter<'table' | 'reason'>;
  private readonly failures: Counter<'table' | 'reason'>;
  private readonly stale: Counter<'table'>;
  private readonly lag: Histogram<'table'>;

  constructor(registry: Registry, private readonly table: string) {
    const registers = [registry];
    this.entries = getOrCreate(registry, REPLICA_METRIC_NAMES.entries, () => new Gauge({
      name: REPLICA_METRIC_NAMES.entries, help: 'Live entries in the local replica of a table', labelNames: ['table'], registers,
    }));
    this.resyncs = getOrCreate(registry, REPLICA_METRIC_NAMES.resyncs, () => new Counter({
      name: REPLICA_METRIC_NAMES.resyncs, help: 'Completed re-syncs of a local replica from the store, by trigger', labelNames: ['table', 'reason'], registers,
    }));
    this.failures = getOrCreate(registry, REPLICA_METRIC_NAMES.resyncFailures, () => new Counter({
      name: REPLICA_METRIC_NAMES.resyncFailures, help: 'Re-syncs that failed (store unreachable), by trigger', labelNames: ['table', 'reason'], registers,
    }));
    this.stale = getOrCreate(registry, REPLICA_METRIC_NAMES.staleEvents, () => new Counter({
      name: REPLICA_METRIC_NAMES.staleEvents, help: 'Bus events ignored because the replica already holds a newer write', labelNames: ['table'], registers,
    }));
    // cluster rule 3: a change made on one node holds on every node within 100 ms
    this.lag = getOrCreate(registry, REPLICA_METRIC_NAMES.newsLag, () => new Histogram({
      name: REPLICA_METRIC_NAMES.newsLag,
      help: "From another node's publish of a change to its application here (publisher's clock to this node's clock)",
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }));
  }

  setEntries(n: number): void { this.entries.set({ table: this.table }, n); }
  resynced(reason: ResyncReason): void { this.resyncs.inc({ table: this.table, reason }); }
  resyncFailed(reason: ResyncReason): void { this.failures.inc({ table: this.table, reason }); }
  staleEvent(): void { this.stale.inc({ table: this.table }); }
  /** a change published by another node at `publishedAt` (ms) was applied at `appliedAt` */
  newsApplied(publishedAt: number, appliedAt: number): void { this.lag.observe({ table: this.table }, Math.max(0, appliedAt - publishedAt) / 1000); }
}
