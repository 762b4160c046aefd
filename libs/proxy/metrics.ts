import { Counter, Histogram, type Registry } from 'prom-client';
import { batchedChild } from '#libs/transport';
import { batchedHistogramChild } from './batched-histogram.ts';

const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'PUBLISH']);

/** Keeps label cardinality bounded: unknown methods count as "other". */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}

export const PROXY_METRIC_NAMES = {
  requests: 'sbc_sip_requests_total',
  replies: 'sbc_sip_replies_total',
  relayLatency: 'sbc_relay_response_seconds',
  failovers: 'sbc_relay_failovers_total',
  stateless: 'sbc_relay_stateless_total',
  malformedUnanswered: 'sbc_sip_malformed_unanswered_total',
} as const;

export interface ProxyMetrics {
  request(method: string): void;
  /** a response the node sent upstream (relayed or local), by class "1xx".."6xx" */
  replied(status: number): void;
  /** sentAtMs: performance.now() when the branch went out */
  relayLatency(method: string, sentAtMs: number): void;
  failover(method: string): void;
  stateless(kind: 'ack' | 'response' | 'dropped'): void;
  /** a malformed request left unanswered: its source was over the per-source reply rate */
  malformedUnanswered(): void;
}

export function createProxyMetrics(registry: Registry): ProxyMetrics {
  const requests = new Counter({ name: PROXY_METRIC_NAMES.requests, help: 'SIP requests received, by method', labelNames: ['method'], registers: [registry] });
  const replies = new Counter({ name: PROXY_METRIC_NAMES.replies, help: 'SIP responses sent upstream (relayed or generated), by class', labelNames: ['class'], registers: [registry] });
  const latency = new Histogram({
    name: PROXY_METRIC_NAMES.relayLatency,
    help: 'time from relaying a request to the first response from the next hop',
    labelNames: ['method'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const failovers = new Counter({ name: PROXY_METRIC_NAMES.failovers, help: 'branches re-routed to the next destination', labelNames: ['method'], registers: [registry] });
  const stateless = new Counter({ name: PROXY_METRIC_NAMES.stateless, help: 'messages forwarded or dropped statelessly (2xx ACKs, stray responses)', labelNames: ['kind'], registers: [registry] });
  // Labelled children are looked up once per label value, and counted through
  // batchedChild / batchedHistogramChild (plain increments added to prom-client
  // at scrape time): prom-client hashes the label object on every inc() and
  // observe(), which shows on the hot path.
  const byMethod = <T>(make: (method: string) => T) => {
    const cache = new Map<string, T>();
    return (method: string): T => {
      let child = cache.get(method);
      if (child === undefined) {
        const label = methodLabel(method);
        child = label === method ? make(label) : (cache.get(label) ?? make(label));
        cache.set(label === method ? method : label, child);
      }
      return child;
    };
  };
  const requestOf = byMethod((m) => batchedChild(requests, m));
  const latencyOf = byMethod((m) => batchedHistogramChild(latency, { method: m }));
  const failoverOf = byMethod((m) => failovers.labels(m));
  const classes = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'].map((c) => batchedChild(replies, c));
  const otherClass = batchedChild(replies, 'other');
  const unanswered = new Counter({ name: PROXY_METRIC_NAMES.malformedUnanswered, help: 'malformed requests not answered because their source was over the per-source reply rate for malformed requests (sip.malformed_replies)', registers: [registry] });
  const statelessKinds = { ack: batchedChild(stateless, 'ack'), response: batchedChild(stateless, 'response'), dropped: batchedChild(stateless, 'dropped') };
  return {
    request: (m) => requestOf(m).inc(),
    replied: (s) => (classes[Math.floor(s / 100) - 1] ?? otherClass).inc(),
    relayLatency: (m, sentAtMs) => latencyOf(m).observe((performance.now() - sentAtMs) / 1000),
    failover: (m) => failoverOf(m).inc(),
    stateless: (k) => statelessKinds[k].inc(),
    malformedUnanswered: () => unanswered.inc(),
  };
}
