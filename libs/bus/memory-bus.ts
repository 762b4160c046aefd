// In-process bus: a single node without NATS, or several in-process nodes
// sharing one MemoryHub (simulations, unit tests). Messages go through the
// same encode/decode as on NATS and are delivered asynchronously, like NATS.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { encode, type BusMessage, type Outgoing, type TypesByKind } from './messages.ts';
import { BusMetrics } from './metrics.ts';
import { Listeners, Receiver } from './receiver.ts';
import { assertToken, subjectFor, subjectMatches, subjectPattern, type Channel, type Selector } from './subjects.ts';
import type { Bus, BusStatus, Handler, Unsubscribe } from './types.ts';

interface Sub {
  pattern: string;
  handler: Handler<never>;
  receiver: Receiver;
}

/** The "server" of memory buses: publishes reach every subscription on the hub. */
export class MemoryHub {
  private readonly subs = new Set<Sub>();
  add(sub: Sub): Unsubscribe {
    this.subs.add(sub);
    return () => { this.subs.delete(sub); };
  }
  publish(subject: string, data: string): void {
    for (const sub of this.subs) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      queueMicrotask(() => {
        if (this.subs.has(sub)) sub.receiver.deliver(subject, data, sub.handler);
      });
    }
  }
}

export interface MemoryBusOptions {
  cluster: string;
  node: string;
  logger: Logger;
  registry: Registry;
  /** Share one hub between in-process nodes; default: a private hub (single node). */
  hub?: MemoryHub;
  now?: () => number;
}

export function createMemoryBus(opts: MemoryBusOptions): Bus {
  return new MemoryBus(opts);
}

class MemoryBus implements Bus {
  readonly backend = 'memory' as const;
  readonly node: string;
  readonly cluster: string;
  private readonly hub: MemoryHub;
  private readonly logger: Logger;
  private readonly metrics: BusMetrics;
  private readonly receiver: Receiver;
  private readonly listeners: Listeners<BusStatus>;
  private readonly now: () => number;
  private readonly unsubs = new Set<Unsubscribe>();
  private current: BusStatus = { type: 'connected', server: 'memory' };

  constructor(opts: MemoryBusOptions) {
    assertToken('cluster name', opts.cluster);
    this.cluster = opts.cluster;
    this.node = opts.node;
    this.hub = opts.hub ?? new MemoryHub();
    this.logger = opts.logger.child({ component: 'bus', backend: 'memory' });
    this.metrics = new BusMetrics(opts.registry);
    this.receiver = new Receiver(opts.cluster, this.logger, this.metrics);
    this.listeners = new Listeners(this.logger);
    this.now = opts.now ?? Date.now;
  }

  isUp(): boolean { return this.current.type !== 'closed'; }
  status(): BusStatus { return this.current; }
  onStatus(cb: (s: BusStatus) => void): Unsubscribe { return this.listeners.add(cb); }

  publish<C extends Channel>(channel: C, body: Outgoing<TypesByKind[C['kind']]>): boolean {
    if (!this.isUp()) {
      this.metrics.count(channel.kind, 'dropped');
      return false;
    }
    this.hub.publish(subjectFor(this.cluster, channel), encode(this.node, body, this.now()));
    this.metrics.count(channel.kind, 'out');
    return true;
  }

  subscribe<S extends Selector>(sel: S, handler: Handler<BusMessage<TypesByKind[S['kind']]>>): Unsubscribe {
    const off = this.hub.add({ pattern: subjectPattern(this.cluster, sel), handler: handler, receiver: this.receiver });
    const unsub = (): void => { off(); this.unsubs.delete(unsub); };
    this.unsubs.add(unsub);
    return unsub;
  }

  async flush(): Promise<void> {
    // Deliveries are queued as microtasks; one macrotask turn runs them all.
    await new Promise((r) => setImmediate(r));
  }

  async close(): Promise<void> {
    if (this.current.type === 'closed') return;
    for (const unsub of [...this.unsubs]) unsub();
    this.current = { type: 'closed' };
    this.listeners.emit(this.current);
  }
}
