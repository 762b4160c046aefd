// Dispatcher metrics: destination state, probe results and latency, active
// calls (algorithm 10), probe partition. Label values are bounded by the
// configured destinations.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProbeCounters } from './prober.ts';
import type { DispatcherState } from './state.ts';

export const DISPATCHER_METRIC_NAMES = [
  'sbc_dispatcher_destination_up',
  'sbc_dispatcher_probes_total',
  'sbc_dispatcher_probe_latency_ms',
  'sbc_dispatcher_probe_timeouts',
  'sbc_dispatcher_marks_total',
  'sbc_dispatcher_active_calls',
  'sbc_dispatcher_probe_owned',
  'sbc_dispatcher_probe_members',
] as const;

export interface DispatcherMetricsDeps {
  readonly ds: DispatcherState;
  readonly registry: Registry;
  /** active calls per duid (one round trip), for algorithm 10 sets */
  readonly callsOf?: (duids: string[]) => Promise<ReadonlyMap<string, number>>;
  /** destinations this node probes now, and the live members it sees */
  readonly partition?: () => { owned: number; members: number };
}

export interface DispatcherMetrics extends ProbeCounters {
  marked(setId: number, uri: string, cause: 'timeout' | 'code'): void;
}

export function createDispatcherMetrics(d: DispatcherMetricsDeps): DispatcherMetrics {
  const { ds, registry } = d;
  new Gauge({
    name: 'sbc_dispatcher_destination_up',
    help: '1 when a dispatcher destination is selectable (active or trying), 0 when inactive or disabled; state label = its state',
    labelNames: ['set', 'uri', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of ds.list()) for (const x of s.destinations) this.set({ set: String(s.id), uri: x.uri, state: x.state }, x.state === 'active' || x.state === 'probing' ? 1 : 0);
    },
  });
  const probes = new Counter({ name: 'sbc_dispatcher_probes_total', help: 'OPTIONS probes answered, by result (ok, failed = answered with a code not in ds_ping_reply_codes, timeout)', labelNames: ['set', 'uri', 'result'], registers: [registry] });
  new Gauge({
    name: 'sbc_dispatcher_probe_latency_ms',
    help: 'Probe latency per destination (ds_ping_latency_stats): stat = avg, std, est (EWMA), max',
    labelNames: ['set', 'uri', 'stat'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of ds.list()) for (const x of s.destinations) {
        if (!x.latency) continue;
        for (const stat of ['avg', 'std', 'est', 'max'] as const) this.set({ set: String(s.id), uri: x.uri, stat }, x.latency[stat]);
      }
    },
  });
  new Gauge({
    name: 'sbc_dispatcher_probe_timeouts',
    help: 'Probes without an answer per destination, as counted by the node that probes it (ds_ping_latency_stats)',
    labelNames: ['set', 'uri'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of ds.list()) for (const x of s.destinations) if (x.latency) this.set({ set: String(s.id), uri: x.uri }, x.latency.timeouts);
    },
  });
  const marks = new Counter({ name: 'sbc_dispatcher_marks_total', help: 'Destinations marked after a relay failure on this node (mark_on_failure), by cause', labelNames: ['set', 'uri', 'cause'], registers: [registry] });
  const callsOf = d.callsOf;
  if (callsOf) {
    new Gauge({
      name: 'sbc_dispatcher_active_calls',
      help: 'Calls counted on each destination cluster-wide (algorithm 10 call load, by duid)',
      labelNames: ['set', 'uri', 'duid'],
      registers: [registry],
      async collect() {
        this.reset();
        const listed = ds.list().flatMap((s) => s.destinations.filter((x) => x.duid !== undefined).map((x) => ({ set: String(s.id), uri: x.uri, duid: x.duid as string })));
        if (listed.length === 0) return;
        const counts = await callsOf([...new Set(listed.map((x) => x.duid))]).catch(() => undefined);
        if (!counts) return;
        for (const x of listed) this.set(x, counts.get(x.duid) ?? 0);
      },
    });
  }
  const partition = d.partition;
  if (partition) {
    new Gauge({ name: 'sbc_dispatcher_probe_owned', help: 'Destinations this node probes (its share of the cluster)', registers: [registry], collect() { this.set(partition().owned); } });
    new Gauge({ name: 'sbc_dispatcher_probe_members', help: 'Live nodes sharing the probing, as this node last saw them', registers: [registry], collect() { this.set(partition().members); } });
  }
  return {
    probed: (setId, uri, result) => probes.inc({ set: String(setId), uri, result }),
    marked: (setId, uri, cause) => marks.inc({ set: String(setId), uri, cause }),
  };
}
