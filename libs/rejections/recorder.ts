// Counting and logging a rejection: one counter series per label, one log
// line per occurrence up to a per-code rate, so a flood cannot flood the logs.
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { RejectionCatalog } from './catalog.ts';
import type { Rejection } from './define.ts';
import { LogLimiter, type LogRateLimit } from './rate-limit.ts';

export const REJECTED_METRIC = 'sbc_sip_rejected_total';

/** What is known about the rejected message; every field optional (a drop may know nothing). */
export interface RejectionContext {
  proto?: string;
  address?: string;
  port?: number;
  method?: string;
  callId?: string;
  /** short text saying what exactly failed (never sent on the wire) */
  detail?: string;
}

export interface RejectionRecorderOptions {
  catalog: RejectionCatalog;
  registry: Registry;
  logger: Logger;
  logRate?: LogRateLimit;
  /** clock for the rate limiter (tests) */
  now?: () => number;
}

export class RejectionRecorder {
  readonly #catalog: RejectionCatalog;
  readonly #logger: Logger;
  readonly #limiter: LogLimiter;
  readonly #counter: Counter<'reason'>;

  constructor(opts: RejectionRecorderOptions) {
    this.#catalog = opts.catalog;
    this.#logger = opts.logger;
    this.#limiter = new LogLimiter(opts.logRate, opts.now);
    // Two recorders may share a registry (several nodes in one test process).
    const existing = opts.registry.getSingleMetric(REJECTED_METRIC) as Counter<'reason'> | undefined;
    this.#counter =
      existing ??
      new Counter({
        name: REJECTED_METRIC,
        help: 'SIP messages refused (answered with an error or dropped), by rejection label; see docs for each code',
        labelNames: ['reason'],
        registers: [opts.registry],
      });
    // Series exist from the start so rate() works on the first occurrence.
    for (const label of this.#catalog.labels()) this.#counter.inc({ reason: label }, 0);
  }

  /**
   * Count and (rate-limited) log one rejection. Accepts the definition itself
   * or its code; an unknown code is a programming error and throws, naming the fix.
   */
  recordRejection(rejection: Rejection | string, ctx: RejectionContext = {}): Rejection {
    const def = typeof rejection === 'string' ? this.#catalog.get(rejection) : rejection;
    if (def === undefined) {
      throw new Error(`unknown rejection code "${String(rejection)}": define it with defineRejection() and pass its group to createRejectionCatalog()`);
    }
    this.#counter.inc({ reason: def.label });
    const suppressed = this.#limiter.take(def.code);
    if (suppressed < 0) return def;
    const fields: Record<string, unknown> = { rejection: def.code, status: def.status };
    if (ctx.proto !== undefined) fields.proto = ctx.proto;
    if (ctx.address !== undefined) fields.src = ctx.address;
    if (ctx.port !== undefined) fields.srcPort = ctx.port;
    if (ctx.method !== undefined) fields.method = ctx.method;
    if (ctx.callId !== undefined) fields.callId = ctx.callId;
    if (ctx.detail !== undefined) fields.detail = ctx.detail;
    if (suppressed > 0) fields.suppressed = suppressed;
    this.#logger[def.level](fields, def.log);
    return def;
  }
}
