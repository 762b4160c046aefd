// Transport metrics. Labelled children for the hot path are bound once so a
// message costs one increment, not a label lookup.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Proto } from './types.ts';

export const TRANSPORT_METRICS = {
  messages: 'sbc_transport_messages_total',
  tcpConnections: 'sbc_transport_tcp_connections',
  errors: 'sbc_transport_errors_total',
} as const;

/** Why the transport counted an error (label `reason` of sbc_transport_errors_total). */
export type TransportErrorReason =
  | 'no_socket'
  | 'send_failed'
  | 'connect_failed'
  | 'connection_limit'
  | 'socket_error'
  | 'framing'
  | 'buffer_overflow'
  | 'write_overflow'
  | 'handler';

interface Inc {
  inc(): void;
}

export class TransportMetrics {
  readonly in: Record<Proto, Inc>;
  readonly out: Record<Proto, Inc>;
  readonly tcpConnections: Gauge;
  readonly #errors: Counter<'proto' | 'reason'>;

  constructor(registry: Registry) {
    const messages =
      (registry.getSingleMetric(TRANSPORT_METRICS.messages) as Counter<'proto' | 'direction'> | undefined) ??
      new Counter({
        name: TRANSPORT_METRICS.messages,
        help: 'SIP messages received (in) and sent (out), by transport protocol',
        labelNames: ['proto', 'direction'],
        registers: [registry],
      });
    this.tcpConnections =
      (registry.getSingleMetric(TRANSPORT_METRICS.tcpConnections) as Gauge | undefined) ??
      new Gauge({ name: TRANSPORT_METRICS.tcpConnections, help: 'Open TCP connections (both directions)', registers: [registry] });
    this.#errors =
      (registry.getSingleMetric(TRANSPORT_METRICS.errors) as Counter<'proto' | 'reason'> | undefined) ??
      new Counter({
        name: TRANSPORT_METRICS.errors,
        help: 'Transport errors by protocol and reason (bad peers, send failures, limits)',
        labelNames: ['proto', 'reason'],
        registers: [registry],
      });
    this.in = { udp: messages.labels('udp', 'in'), tcp: messages.labels('tcp', 'in') };
    this.out = { udp: messages.labels('udp', 'out'), tcp: messages.labels('tcp', 'out') };
  }

  error(proto: Proto, reason: TransportErrorReason): void {
    this.#errors.inc({ proto, reason });
  }
}
