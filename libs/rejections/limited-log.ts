// One rate-limited log for the lines a peer can cause once per request or
// per packet (send failures, failovers, transactions left unanswered, steps
// that threw): the token bucket the rejection log uses, one bucket per kind
// of line, so a flood of failing requests writes a few lines a second with
// the count of those it suppressed, never one line per request.
import type { Logger } from 'pino';
import { LogLimiter, type LogRateLimit } from './rate-limit.ts';

export type LimitedLogLevel = 'debug' | 'info' | 'warn' | 'error';

export class RateLimitedLog {
  readonly #limiter: LogLimiter;

  constructor(readonly logger: Logger, limit?: LogRateLimit, now?: () => number) {
    this.#limiter = new LogLimiter(limit, now);
  }

  /** Write one line of kind `key` unless that kind is over its rate; the next line says how many were suppressed. */
  write(level: LimitedLogLevel, key: string, fields: Record<string, unknown>, msg: string): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const suppressed = this.#limiter.take(key);
    if (suppressed < 0) return;
    this.logger[level](suppressed > 0 ? { ...fields, event: key, suppressed } : { ...fields, event: key }, msg);
  }
}
