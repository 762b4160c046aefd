// Per-gateway call counters and RFC 6076 style figures, counted from finished
// records: where records are assembled (the cdr-writer for a cluster, the node
// itself in the embedded mode), each call is counted once.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FAILURE_CLASSES, gatewayLabel, type AccRecord } from './record.ts';

export const ACC_METRIC_NAMES = {
  succeeded: 'sbc_acc_calls_succeeded_total',
  failed: 'sbc_acc_calls_failed_total',
  ser: 'sbc_acc_session_establishment_ratio',
  setupDelay: 'sbc_acc_setup_delay_seconds',
  duration: 'sbc_acc_call_duration_seconds',
  records: 'sbc_acc_records_total',
} as const;

export interface CallMetrics {
  /** count one finished record */
  observe(r: AccRecord): void;
}

export function createCallMetrics(registry: Registry): CallMetrics {
  const succeeded = new Counter({
    name: ACC_METRIC_NAMES.succeeded,
    help: 'answered calls per gateway (the one that answered); reroute="no": first gateway answered, "yes": answered after failover',
    labelNames: ['gateway', 'reroute'],
    registers: [registry],
  });
  const failed = new Counter({
    name: ACC_METRIC_NAMES.failed,
    help: 'calls not answered per gateway (the last one tried, "none" when none was) and reason: no_answer, busy, not_reachable, congestion, route_select_failure, barred, cancelled, node_lost, other',
    labelNames: ['gateway', 'reason'],
    registers: [registry],
  });
  const records = new Counter({ name: ACC_METRIC_NAMES.records, help: 'call records written, by end reason', labelNames: ['end_reason'], registers: [registry] });
  const setup = new Histogram({
    name: ACC_METRIC_NAMES.setupDelay,
    help: 'RFC 6076 session request delay per gateway: INVITE to first provisional or final response',
    labelNames: ['gateway'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const duration = new Histogram({ name: ACC_METRIC_NAMES.duration, help: 'answered call duration per gateway', labelNames: ['gateway'], buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600], registers: [registry] });
  // SER = answered / (attempted - those answered 3xx), RFC 6076 §4.6; kept as lifetime counts
  const ser = new Map<string, { answered: number; attempted: number }>();
  new Gauge({
    name: ACC_METRIC_NAMES.ser,
    help: 'RFC 6076 session establishment ratio per gateway since the process started: answered / (calls - calls answered with a 3xx); for a rate over time use the counters',
    labelNames: ['gateway'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [gw, c] of ser) if (c.attempted > 0) this.set({ gateway: gw }, c.answered / c.attempted);
    },
  });
  for (const reason of FAILURE_CLASSES) failed.inc({ gateway: 'none', reason }, 0);
  return {
    observe(r) {
      const gateway = gatewayLabel(r);
      records.inc({ end_reason: r.endReason });
      const s = ser.get(gateway) ?? { answered: 0, attempted: 0 };
      if (ser.size < 10_000 || ser.has(gateway)) ser.set(gateway, s);
      if (r.answerAt !== undefined) {
        succeeded.inc({ gateway, reroute: r.reroutes > 0 ? 'yes' : 'no' });
        duration.observe({ gateway }, r.durationMs / 1000);
        s.answered++;
        s.attempted++;
      } else {
        failed.inc({ gateway, reason: r.failure ?? 'other' });
        if (r.sipStatus < 300 || r.sipStatus >= 400) s.attempted++;
      }
      if (r.srdMs !== undefined) setup.observe({ gateway }, r.srdMs / 1000);
    },
  };
}
