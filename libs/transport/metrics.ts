// Transport metrics. Per-message counts are batched (batched-counter.ts) so a
// message costs one integer increment, not a prom-client label hash.
import { Counter, Gauge, type Registry } from 'prom-client';
import { batchedChild, type Inc } from './batched-counter.ts';
import type { Proto } from './types.ts';

export const TRANSPORT_METRICS = {
  messages: 'sbc_transport_messages_total',
  tcpConnections: 'sbc_transport_tcp_connections',
  errors: 'sbc_transport_errors_total',
  udpIo: 'sbc_transport_udp_io',
} as const;

/** Why the transport counted an error (label `reason` of sbc_transport_errors_total). */
export type TransportErrorReason =
  | 'no_socket'
  | 'send_failed'
  | 'connect_failed'
  | 'connection_limit'
  /** an inbound connection from a banned address, closed at accept */
  | 'banned'
  /** an inbound connection that did not deliver a complete first message in time */
  | 'first_message_timeout'
  /** a never-valid inbound connection closed to admit a new one at the limit */
  | 'evicted'
  | 'socket_error'
  | 'framing'
  | 'buffer_overflow'
  | 'write_overflow'
  | 'handler';

export class TransportMetrics {
  readonly in: Record<Proto, Inc>;
  readonly out: Record<Proto, Inc>;
  readonly tcpConnections: Gauge;
  readonly #errors: Counter<'proto' | 'reason'>;
  readonly #udpIo: Gauge<'socket' | 'io'>;

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
    this.#udpIo =
      (registry.getSingleMetric(TRANSPORT_METRICS.udpIo) as Gauge<'socket' | 'io'> | undefined) ??
      new Gauge({
        name: TRANSPORT_METRICS.udpIo,
        help: 'I/O path of each UDP listen socket: 1 for io="batched" (recvmmsg/sendmmsg, native addon) or io="dgram" (node:dgram)',
        labelNames: ['socket', 'io'],
        registers: [registry],
      });
    this.in = { udp: batchedChild(messages, 'udp', 'in'), tcp: batchedChild(messages, 'tcp', 'in') };
    this.out = { udp: batchedChild(messages, 'udp', 'out'), tcp: batchedChild(messages, 'tcp', 'out') };
  }

  udpIo(socket: string, io: 'batched' | 'dgram'): void {
    this.#udpIo.set({ socket, io }, 1);
  }

  error(proto: Proto, reason: TransportErrorReason): void {
    this.#errors.inc({ proto, reason });
  }
}
