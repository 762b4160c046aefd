// When a replica re-reads the store: after a NATS reconnect (NATS core does
// not replay what was missed), after a Redis reconnect (writes made while we
// could not read), on a timer (anything else missed), and on request.
// Passes are coalesced: a trigger during a pass schedules exactly one more.
import type { Logger } from 'pino';
import type { Bus, Unsubscribe } from '#libs/bus';
import type { BackendStatus } from '#libs/state';
import type { ReplicaMetrics, ResyncReason } from './metrics.ts';

const FLUSH_TIMEOUT_MS = 1000;

export interface ResyncDeps {
  bus: Bus;
  store: { onStatus(cb: (s: BackendStatus) => void): Unsubscribe };
  /** 0 disables the timer. */
  intervalMs: number;
  /** One pass: read the store and merge. Throws when the store is unreachable. */
  pass: (reason: ResyncReason) => Promise<void>;
  logger: Logger;
  metrics: ReplicaMetrics;
}

export class Resyncer {
  private inFlight: Promise<void> | undefined;
  private again: ResyncReason | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly offs: Unsubscribe[] = [];

  constructor(private readonly deps: ResyncDeps) {}

  /** Hooks the reconnect events and starts the timer. */
  start(): void {
    const { bus, store, intervalMs } = this.deps;
    this.offs.push(bus.onStatus((s) => { if (s.type === 'reconnected') this.background('bus_reconnect'); }));
    this.offs.push(store.onStatus((s) => { if (s.up && s.reconnect) this.background('store_reconnect'); }));
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.background('periodic'), intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const off of this.offs.splice(0)) off();
  }

  /** Resolves when a pass that started after this call has completed;
   *  rejects when that pass failed. */
  resync(reason: ResyncReason): Promise<void> {
    if (this.inFlight) {
      this.again ??= reason;
      return this.inFlight;
    }
    const run = this.loop(reason).finally(() => { this.inFlight = undefined; });
    this.inFlight = run;
    return run;
  }

  private background(reason: ResyncReason): void {
    this.resync(reason).catch(() => undefined); // already logged and counted in loop()
  }

  private async loop(first: ResyncReason): Promise<void> {
    let reason: ResyncReason | undefined = first;
    let lastError: unknown;
    while (reason) {
      this.again = undefined;
      lastError = undefined;
      try {
        await this.subscriptionsInForce();
        await this.deps.pass(reason);
        this.deps.metrics.resynced(reason);
      } catch (err) {
        lastError = err;
        this.deps.metrics.resyncFailed(reason);
        this.deps.logger.warn({ err, reason }, 'replica resync failed; will retry on the next trigger');
      }
      reason = this.again;
    }
    if (lastError !== undefined) throw lastError;
  }

  // Our subscriptions must be live on the server before we read the store,
  // or a write landing between the read and the subscription would be lost.
  private async subscriptionsInForce(): Promise<void> {
    const { bus } = this.deps;
    if (!bus.isUp()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, FLUSH_TIMEOUT_MS); });
    await Promise.race([bus.flush().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }
}
