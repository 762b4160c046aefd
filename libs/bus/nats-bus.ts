// The cluster bus over NATS core (v3 client). One connection per node that
// never stops reconnecting; its status is surfaced as BusStatus so the node
// can export sbc_backend_up{backend="nats"} and re-sync from Redis after
// `reconnected` (NATS core does not replay what was missed while away).
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Status, Subscription } from '@nats-io/nats-core';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { BusError } from './errors.ts';
import { encode, type BusMessage, type Outgoing, type TypesByKind } from './messages.ts';
import { BusMetrics } from './metrics.ts';
import { Listeners, Receiver } from './receiver.ts';
import { assertToken, subjectFor, subjectPattern, type Channel, type Selector } from './subjects.ts';
import type { Bus, BusStatus, Handler, Unsubscribe } from './types.ts';

export interface NatsBusOptions {
  /** nats://host:port, or several for a NATS cluster. */
  servers: string | string[];
  cluster: string;
  node: string;
  logger: Logger;
  registry: Registry;
  /** Pause between reconnect attempts. Default 250 ms (the NATS default, 2 s, delays convergence). */
  reconnectTimeWaitMs?: number;
  /** How long the first connection may take. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Client pings detect a silently dead server. Default 5000 ms (NATS default: 2 min). */
  pingIntervalMs?: number;
  now?: () => number;
}

export const NATS_BUS_DEFAULTS = { reconnectTimeWaitMs: 250, connectTimeoutMs: 5000, pingIntervalMs: 5000 } as const;

/** Connects (waits for the first connection) and returns the bus. Rejects with
 *  BusError BUS_CONNECT_FAILED when NATS cannot be reached in connectTimeoutMs. */
export async function createNatsBus(opts: NatsBusOptions): Promise<Bus> {
  assertToken('cluster name', opts.cluster);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: opts.servers,
      name: `sbc-${opts.cluster}-${opts.node}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? NATS_BUS_DEFAULTS.reconnectTimeWaitMs,
      reconnectJitter: 50,
      timeout: opts.connectTimeoutMs ?? NATS_BUS_DEFAULTS.connectTimeoutMs,
      pingInterval: opts.pingIntervalMs ?? NATS_BUS_DEFAULTS.pingIntervalMs,
      maxPingOut: 2,
    });
  } catch (cause) {
    throw new BusError('BUS_CONNECT_FAILED', `cannot connect to NATS at ${String(opts.servers)}: check the nats servers option and that nats-server is reachable, or run a single node without NATS (memory bus)`, { cause });
  }
  return new NatsBus(nc, opts);
}

class NatsBus implements Bus {
  readonly backend = 'nats' as const;
  readonly node: string;
  readonly cluster: string;
  private readonly logger: Logger;
  private readonly metrics: BusMetrics;
  private readonly receiver: Receiver;
  private readonly listeners: Listeners<BusStatus>;
  private readonly now: () => number;
  private readonly subs = new Set<Subscription>();
  private current: BusStatus;

  constructor(private readonly nc: NatsConnection, opts: NatsBusOptions) {
    this.node = opts.node;
    this.cluster = opts.cluster;
    this.logger = opts.logger.child({ component: 'bus', backend: 'nats' });
    this.metrics = new BusMetrics(opts.registry);
    this.receiver = new Receiver(opts.cluster, this.logger, this.metrics);
    this.listeners = new Listeners(this.logger);
    this.now = opts.now ?? Date.now;
    this.current = { type: 'connected', server: nc.getServer() };
    this.logger.info({ server: nc.getServer(), node: this.node, cluster: this.cluster }, 'nats connected');
    void this.watchStatus();
    void nc.closed().then((err) => this.setStatus(err ? { type: 'closed', error: err } : { type: 'closed' }));
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) this.onNatsStatus(s);
  }

  private onNatsStatus(s: Status): void {
    switch (s.type) {
      case 'disconnect':
        this.setStatus({ type: 'disconnected', server: s.server });
        break;
      case 'reconnect':
        this.setStatus({ type: 'reconnected', server: s.server });
        break;
      case 'error':
        this.logger.warn({ err: s.error }, 'nats server error');
        break;
      case 'staleConnection':
      case 'slowConsumer':
        this.logger.warn({ status: s.type }, 'nats connection trouble');
        break;
      default:
        break;
    }
  }

  private setStatus(s: BusStatus): void {
    if (this.current.type === 'closed') return;
    this.current = s;
    const log = s.type === 'disconnected' || (s.type === 'closed' && s.error) ? 'warn' : 'info';
    this.logger[log]({ status: s.type, ...(s.type === 'closed' ? { err: s.error } : { server: s.server }) }, `nats ${s.type}`);
    this.listeners.emit(s);
  }

  isUp(): boolean { return this.current.type === 'connected' || this.current.type === 'reconnected'; }
  status(): BusStatus { return this.current; }
  onStatus(cb: (s: BusStatus) => void): Unsubscribe { return this.listeners.add(cb); }

  publish<C extends Channel>(channel: C, body: Outgoing<TypesByKind[C['kind']]>): boolean {
    const subject = subjectFor(this.cluster, channel);
    // While disconnected the client would buffer and send late on reconnect;
    // a late event is worse than none (peers re-sync from Redis instead).
    if (!this.isUp()) {
      this.metrics.count(channel.kind, 'dropped');
      return false;
    }
    try {
      this.nc.publish(subject, encode(this.node, body, this.now()));
    } catch (err) {
      this.metrics.count(channel.kind, 'dropped');
      this.logger.warn({ err, subject }, 'nats publish failed');
      return false;
    }
    this.metrics.count(channel.kind, 'out');
    return true;
  }

  subscribe<S extends Selector>(sel: S, handler: Handler<BusMessage<TypesByKind[S['kind']]>>): Unsubscribe {
    const subject = subjectPattern(this.cluster, sel);
    const sub = this.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) {
          this.logger.warn({ err, subject }, 'nats subscription error');
          return;
        }
        this.receiver.deliver(m.subject, m.data, handler);
      },
    });
    this.subs.add(sub);
    return () => {
      if (!this.subs.delete(sub)) return;
      if (!this.nc.isClosed()) sub.unsubscribe();
    };
  }

  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    this.subs.clear();
    // drain() sends what is pending first; it cannot finish while disconnected.
    if (this.isUp()) {
      await this.nc.drain().catch((err: unknown) => this.logger.warn({ err }, 'nats drain failed'));
    }
    if (!this.nc.isClosed()) await this.nc.close();
    await this.nc.closed();
  }
}
