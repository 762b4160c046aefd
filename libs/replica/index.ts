// libs/replica public surface: hot-path caches kept current cluster-wide.
// Redis (libs/state) is the truth, NATS (libs/bus) the news: each replica
// loads from the store at start, applies bus events within milliseconds, and
// reloads after a NATS or Redis reconnect and every resyncIntervalMs.
//   ReplicatedTable  sync get() over an htable (ipban, ACL-like tables)
//   ClusterConfig    config hot reload: apply(kind, doc) -> every node's listeners
// Metrics: sbc_replica_entries{table}, sbc_replica_resyncs_total{table,reason},
// sbc_replica_resync_failures_total{table,reason}, sbc_replica_stale_events_total{table}.
// See docs/cluster.md.
export {
  ReplicatedTable,
  REPLICATED_TABLE_DEFAULTS,
  type ReplicatedTableOptions,
  type ReplicaEntry,
  type TableChange,
  type ChangeSource,
} from './table.ts';
export { ClusterConfig, CLUSTER_CONFIG_DEFAULTS, type ClusterConfigOptions, type ConfigListener } from './config.ts';
export { REPLICA_METRIC_NAMES, type ResyncReason } from './metrics.ts';
export { ReplicaError, type ReplicaErrorCode } from './errors.ts';
export { VersionClock } from './clock.ts';
