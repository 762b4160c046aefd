// Local batching for windowed counters, shared by both backends: add() only
// touches local maps; flush() hands every pending delta to the backend sink
// in one call (one Redis round trip) and learns the cluster totals back.
import { StateError } from './errors.ts';
import type { CounterEntry, CounterOptions, CounterStore, FlushResult, Unsubscribe } from './types.ts';
import { checkInt, checkToken, checkTtl } from './validate.ts';

export interface WindowBatch {
  windowId: number;
  deltas: Map<string, number>;
}

/** What a backend provides: storage of window totals. */
export interface CounterSink {
  /** Applies every batch (one round trip); resolves to totals per batch, same order. */
  send(batches: WindowBatch[]): Promise<Map<string, number>[]>;
  total(windowId: number, key: string): Promise<number>;
  top(windowId: number, n: number): Promise<CounterEntry[]>;
}

const DEFAULT_MAX_BATCH = 1000;

export class BatchingCounter implements CounterStore {
  readonly windowMs: number;
  private readonly maxBatch: number;
  private readonly timer: NodeJS.Timeout;
  private readonly listeners = new Set<(r: FlushResult) => void>();
  /** unflushed deltas per window id */
  private pendingByWindow = new Map<number, Map<string, number>>();
  /** the window `known` and `inflight` describe */
  private window = -1;
  /** last cluster totals learnt in `window` */
  private readonly known = new Map<string, number>();
  /** deltas of `window` sent but not yet answered (kept in the estimate) */
  private readonly inflight = new Map<string, number>();
  private closed = false;

  constructor(readonly name: string, opts: CounterOptions, private readonly sink: CounterSink, private readonly now: () => number) {
    checkToken('counter name', name);
    checkTtl('windowMs', opts.windowMs);
    checkTtl('flushIntervalMs', opts.flushIntervalMs);
    this.windowMs = opts.windowMs;
    this.maxBatch = opts.maxBatch ?? DEFAULT_MAX_BATCH;
    checkInt('maxBatch', this.maxBatch, 1);
    this.timer = setInterval(() => { void this.flushQuietly(); }, opts.flushIntervalMs);
    this.timer.unref();
  }

  add(key: string, n = 1): number {
    checkInt('counter increment', n, 1);
    const w = this.rollWindow();
    let pending = this.pendingByWindow.get(w);
    if (!pending) { pending = new Map(); this.pendingByWindow.set(w, pending); }
    const mine = (pending.get(key) ?? 0) + n;
    pending.set(key, mine);
    const estimate = (this.known.get(key) ?? 0) + (this.inflight.get(key) ?? 0) + mine;
    if (pending.size >= this.maxBatch && !this.closed) void this.flushQuietly();
    return estimate;
  }

  pending(): number {
    let n = 0;
    for (const m of this.pendingByWindow.values()) n += m.size;
    return n;
  }

  async flush(): Promise<Map<string, number>> {
    const r = await this.runFlush();
    if (!r) return new Map();
    if (!r.ok) throw r.error;
    return r.totals;
  }

  total(key: string): Promise<number> {
    return this.sink.total(this.windowOf(this.now()), key);
  }

  top(n: number, window: 'current' | 'previous' = 'current'): Promise<CounterEntry[]> {
    checkInt('top n', n, 1);
    const w = this.windowOf(this.now());
    return this.sink.top(window === 'previous' ? w - 1 : w, n);
  }

  onFlush(cb: (r: FlushResult) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => { this.listeners.delete(cb); };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.flushQuietly();
    this.listeners.clear();
  }

  private windowOf(t: number): number {
    return Math.floor(t / this.windowMs);
  }

  /** Moves to the current window, forgetting what was learnt about the old one. */
  private rollWindow(): number {
    const w = this.windowOf(this.now());
    if (w !== this.window) {
      this.window = w;
      this.known.clear();
      this.inflight.clear();
    }
    return w;
  }

  private async flushQuietly(): Promise<void> {
    try { await this.runFlush(); } catch { /* reported to listeners */ }
  }

  /** undefined when nothing was pending (no round trip). */
  private async runFlush(): Promise<FlushResult | undefined> {
    if (this.pendingByWindow.size === 0) return undefined;
    const current = this.rollWindow();
    const batches: WindowBatch[] = [...this.pendingByWindow].map(([windowId, deltas]) => ({ windowId, deltas }))
      .sort((a, b) => a.windowId - b.windowId);
    this.pendingByWindow = new Map();
    const keys = batches.reduce((n, b) => n + b.deltas.size, 0);
    const cur = batches.find((b) => b.windowId === current);
    if (cur) for (const [k, d] of cur.deltas) this.inflight.set(k, (this.inflight.get(k) ?? 0) + d);

    let result: FlushResult;
    try {
      const totals = await this.sink.send(batches);
      const newest = batches.length - 1;
      result = { ok: true, windowId: batches[newest].windowId, totals: totals[newest] };
      if (cur && this.window === current) {
        const curTotals = totals[batches.indexOf(cur)];
        for (const [k, d] of cur.deltas) {
          this.settleInflight(k, d);
          // Totals only grow within a window; answers may overtake each other.
          const t = curTotals.get(k) ?? 0;
          if (t > (this.known.get(k) ?? 0)) this.known.set(k, t);
        }
      }
    } catch (err) {
      const error = err instanceof Error ? err : new StateError('STATE_BACKEND', String(err));
      result = { ok: false, error, keys };
      // Keep counting the current window locally (retried next flush); older
      // windows are over, their deltas no longer matter for a verdict.
      if (cur && this.window === current) {
        let pending = this.pendingByWindow.get(current);
        if (!pending) { pending = new Map(); this.pendingByWindow.set(current, pending); }
        for (const [k, d] of cur.deltas) {
          this.settleInflight(k, d);
          pending.set(k, (pending.get(k) ?? 0) + d);
        }
      }
    }
    for (const cb of [...this.listeners]) {
      try { cb(result); } catch { /* listener bugs stay theirs */ }
    }
    return result;
  }

  private settleInflight(k: string, d: number): void {
    const left = (this.inflight.get(k) ?? 0) - d;
    if (left > 0) this.inflight.set(k, left); else this.inflight.delete(k);
  }
}
