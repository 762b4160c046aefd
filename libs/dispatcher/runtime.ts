// The dispatcher's cluster machinery for one node: destination states shared
// through Redis + NATS (DestinationSync), OPTIONS probing split among live
// nodes (ProbePartition + Prober), and the metrics. The node starts it once
// its transaction layer and sockets exist, and stops it before closing them.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Bus } from '#libs/bus';
import type { SharedState } from '#libs/state';
import type { Target, TransactionLayer } from '#libs/transaction';
import type { ListenSocketInfo, SocketId } from '#libs/transport';
import { DestinationSync } from './cluster-sync.ts';
import { createDispatcherMetrics, type DispatcherMetrics } from './metrics.ts';
import { ProbePartition } from './partition.ts';
import { probeName, Prober } from './prober.ts';
import { probeSender } from './probe-sender.ts';
import type { ProbingMode } from './probing.ts';
import { parseReplyCodes } from './reply-codes.ts';
import type { DispatcherState, ProbeRules } from './state.ts';

/** The probing keys of the dispatcher config section (libs/dispatcher/config.ts). */
export interface ProbingConfig {
  readonly ds_ping_interval: number;
  readonly ds_ping_method: string;
  readonly ds_ping_from: string;
  readonly ds_ping_reply_codes: string;
  readonly ds_probing_threshold: number;
  readonly ds_inactive_threshold: number;
  readonly ds_probing_mode: ProbingMode;
  readonly ds_ping_fr_timer: number;
  readonly ds_ping_latency_stats: boolean;
  readonly ds_latency_estimator_alpha: number;
}

export interface DispatcherClusterDeps {
  readonly ds: DispatcherState;
  readonly config: ProbingConfig;
  readonly nodeId: string;
  readonly state: SharedState;
  readonly bus: Bus;
  readonly tm: Pick<TransactionLayer, 'sendRequest'>;
  readonly selectSocket: (target: Target, via?: SocketId) => ListenSocketInfo | undefined;
  readonly logger: Logger;
  readonly registry: Registry;
  /** full reload of destination states from Redis this often (bus.resyncIntervalMs) */
  readonly resyncIntervalMs: number;
}

export interface DispatcherCluster {
  readonly metrics: DispatcherMetrics;
  readonly rules: ProbeRules;
  readonly partition?: ProbePartition;
  readonly prober?: Prober;
  stop(): Promise<void>;
}

/** Lease ticks: a fifth of the interval (at most 1 s), leases living three ticks, so a dead prober's share moves within one interval. */
export function leaseTiming(intervalMs: number): { tickMs: number; ttlMs: number } {
  const tickMs = Math.max(50, Math.min(1000, Math.floor(intervalMs / 5)));
  return { tickMs, ttlMs: 3 * tickMs };
}

export function probeRules(c: ProbingConfig): ProbeRules {
  return {
    mode: c.ds_probing_mode,
    thresholds: { probingThreshold: c.ds_probing_threshold, inactiveThreshold: c.ds_inactive_threshold },
    latencyStats: c.ds_ping_latency_stats,
    alpha: c.ds_latency_estimator_alpha / 1000,
  };
}

export async function startDispatcherCluster(d: DispatcherClusterDeps): Promise<DispatcherCluster> {
  const { ds, config: c, logger } = d;
  const log = logger.child({ component: 'dispatcher' });
  const rules = probeRules(c);
  const sync = await DestinationSync.start({ ds, state: d.state, bus: d.bus, logger: log, resyncIntervalMs: d.resyncIntervalMs });
  let partition: ProbePartition | undefined;
  let prober: Prober | undefined;
  const metrics = createDispatcherMetrics({
    ds,
    registry: d.registry,
    callsOf: (duids) => d.state.callLoad.counts(duids),
    partition: () => ({ owned: partition?.ownedCount() ?? 0, members: partition?.liveMembers().length ?? 0 }),
  });
  if (c.ds_ping_interval > 0) {
    const replyOk = parseReplyCodes(c.ds_ping_reply_codes);
    if (typeof replyOk === 'string') throw new Error(`dispatcher.ds_ping_reply_codes: ${replyOk}`);
    const timing = leaseTiming(c.ds_ping_interval);
    const p = new Prober({
      ds, intervalMs: c.ds_ping_interval, rules, replyOk, logger: log, counters: metrics,
      send: probeSender({ tm: d.tm, selectSocket: d.selectSocket, method: c.ds_ping_method, from: c.ds_ping_from, frTimerMs: c.ds_ping_fr_timer }),
      owns: (name) => partition?.owns(name) ?? false,
    });
    partition = new ProbePartition({ leases: d.state.leases, member: d.nodeId, names: () => p.candidates().map((x) => probeName(x.setId, x.dest.uri)), ...timing, logger: log });
    prober = p;
    partition.start();
    p.start();
    log.info({ intervalMs: c.ds_ping_interval, mode: c.ds_probing_mode, leaseTickMs: timing.tickMs }, 'dispatcher: OPTIONS probing on, shared among live nodes');
  }
  return {
    metrics,
    rules,
    ...(partition ? { partition } : {}),
    ...(prober ? { prober } : {}),
    async stop() {
      prober?.stop();
      await partition?.stop();
      sync.close();
    },
  };
}
