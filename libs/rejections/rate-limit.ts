// Log rate limiting: a flood of garbage must not become a flood of log lines.
// One token bucket per key; a line that finds the bucket empty is counted,
// and the next line that gets through reports how many were suppressed.

export interface LogRateLimit {
  /** sustained lines per second per key; 0 = no limit (every line is written) */
  perSecond: number;
  /** lines allowed in a burst before the rate applies */
  burst: number;
}

export const DEFAULT_LOG_RATE_LIMIT: Readonly<LogRateLimit> = Object.freeze({ perSecond: 5, burst: 10 });

interface Bucket {
  tokens: number;
  last: number;
  suppressed: number;
}

/** Bound on distinct keys: keys come from code, not from peers, but stay safe if misused. */
const MAX_KEYS = 10_000;

export class LogLimiter {
  readonly #rate: number;
  readonly #unlimited: boolean;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limit: LogRateLimit = DEFAULT_LOG_RATE_LIMIT, now: () => number = Date.now) {
    if (!(limit.perSecond >= 0) || !(limit.burst >= 1)) {
      throw new Error(`LogLimiter: perSecond must be >= 0 (0 = no limit) and burst >= 1 (got ${limit.perSecond}, ${limit.burst})`);
    }
    this.#unlimited = limit.perSecond === 0;
    this.#rate = limit.perSecond / 1000;
    this.#burst = limit.burst;
    this.#now = now;
  }

  /**
   * Ask to write one line for `key`. Returns -1 when the line must be
   * suppressed; otherwise the number of lines suppressed since the last one
   * that got through (0 usually), to be put in the line.
   */
  take(key: string): number {
    if (this.#unlimited) return 0;
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= MAX_KEYS) this.#buckets.clear();
      b = { tokens: this.#burst, last: now, suppressed: 0 };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.last) * this.#rate);
      b.last = now;
    }
    if (b.tokens < 1) {
      b.suppressed++;
      return -1;
    }
    b.tokens -= 1;
    const s = b.suppressed;
    b.suppressed = 0;
    return s;
  }
}
