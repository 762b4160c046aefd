// Shared by both buses: decode, count, log-and-drop invalid messages, run the
// handler with its errors contained. A bad message or a throwing handler must
// never take the node down.
import type { Logger } from 'pino';
import { decode } from './messages.ts';
import type { BusMetrics } from './metrics.ts';
import type { Handler } from './types.ts';

const LOG_EVERY_MS = 10_000;

export class Receiver {
  // reason -> last log time, so a stray publisher cannot flood the logs.
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly cluster: string, private readonly logger: Logger, private readonly metrics: BusMetrics) {}

  deliver(subject: string, data: string | Uint8Array, handler: Handler<never>): void {
    const r = decode(this.cluster, subject, data);
    if (!r.ok) {
      const kind = subject.split('.')[2];
      this.metrics.count(kind === 'config' || kind === 'gateway' || kind === 'ban' || kind === 'table' ? kind : 'unknown', 'invalid');
      this.throttledWarn(r.reason, subject);
      return;
    }
    this.metrics.count(r.msg.channel.kind, 'in');
    try {
      // The subscription's selector guarantees the message type matches the handler's.
      const p = (handler as Handler)(r.msg);
      if (p) p.catch((err: unknown) => this.logger.error({ err, subject, type: r.msg.type }, 'bus handler failed'));
    } catch (err) {
      this.logger.error({ err, subject, type: r.msg.type }, 'bus handler failed');
    }
  }

  private throttledWarn(reason: string, subject: string): void {
    const now = Date.now();
    const seen = this.lastLogged.get(reason);
    if (seen && now - seen.at < LOG_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    this.logger.warn({ subject, reason, suppressed: seen?.suppressed ?? 0 }, 'bus message ignored');
    this.lastLogged.set(reason, { at: now, suppressed: 0 });
    if (this.lastLogged.size > 100) this.lastLogged.clear();
  }
}

/** Status listeners with contained errors. */
export class Listeners<T> {
  private readonly set = new Set<(s: T) => void>();
  constructor(private readonly logger: Logger) {}
  add(cb: (s: T) => void): () => void {
    this.set.add(cb);
    return () => { this.set.delete(cb); };
  }
  emit(s: T): void {
    for (const cb of this.set) {
      try { cb(s); } catch (err) { this.logger.error({ err }, 'bus status listener failed'); }
    }
  }
}
