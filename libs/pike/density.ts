// Per-source view of the cluster count over the last sampling unit.
//
// The CounterStore counts in fixed windows (floor(now / unit)); a fixed
// window alone lets a flood that straddles two windows run for up to two
// units before either window's count is over the limit. The verdict uses a
// sliding estimate over the current and previous windows:
//
//   estimate = current + previous * (share of the previous window's requests
//                                    that fall within the last unit)
//
// Both window counts are cluster totals as CounterStore.add() reports them
// (the total learnt at the last flush plus this node's unflushed adds): they
// lag the truth, never exceed it. The share is read from where in the window
// this node saw its own requests of that source (a small histogram): the load
// balancer spreads a source's requests, so its shape on one node is its shape
// on the cluster. With no local requests it falls back to "evenly spread".
// Why not always "evenly spread" (the usual approximation): a flood that
// starts in the middle of a window has its requests in that window's second
// half, and reading them as evenly spread delays the verdict by up to ~0.2
// unit; together with the flush lag that misses the one-unit bound.

/** Histogram buckets per window. */
export const BUCKETS = 8;

export interface SourceRecord {
  /** window id of `cur` */
  window: number;
  /** estimate of the cluster count of `window` */
  cur: number;
  /** estimate of the cluster count of `window - 1` */
  prev: number;
  /** this node's requests by position in the window: [0, BUCKETS) current, [BUCKETS, 2*BUCKETS) previous */
  local: number[];
  /** a ban write for this source is in flight */
  banning: boolean;
  /** no new ban write before this time (after a failed one) */
  retryAt: number;
}

export class DensityTracker {
  private readonly records = new Map<string, SourceRecord>();

  constructor(readonly unitMs: number) {}

  /**
   * Records one request of `key` at `now` and the window count CounterStore.add
   * returned for it (the clock read before the add, so the counter's window is
   * never older than ours). Returns the record and the sliding estimate.
   */
  observe(key: string, now: number, windowCount: number): { rec: SourceRecord; estimate: number } {
    const w = Math.floor(now / this.unitMs);
    let rec = this.records.get(key);
    if (rec === undefined) {
      rec = { window: w, cur: 0, prev: 0, local: new Array<number>(2 * BUCKETS).fill(0), banning: false, retryAt: 0 };
      this.records.set(key, rec);
    } else if (rec.window !== w) {
      roll(rec, w);
    }
    // Totals only grow within a window (answers to flushes may overtake each other).
    if (windowCount > rec.cur) rec.cur = windowCount;
    const f = (now - w * this.unitMs) / this.unitMs;
    rec.local[Math.min(BUCKETS - 1, Math.floor(f * BUCKETS))]++;
    return { rec, estimate: rec.cur + (rec.prev === 0 ? 0 : rec.prev * shareAfter(rec.local, f)) };
  }

  get(key: string): SourceRecord | undefined {
    return this.records.get(key);
  }

  /** The cluster total of window `windowId` as read after it ended (never lowers what is known). */
  learnFinal(key: string, windowId: number, total: number): void {
    const rec = this.records.get(key);
    if (rec === undefined) return;
    if (rec.window === windowId) {
      if (total > rec.cur) rec.cur = total;
    } else if (rec.window === windowId + 1) {
      if (total > rec.prev) rec.prev = total;
    }
  }

  /** Forgets sources with nothing in the last two windows (they weigh nothing in an estimate). */
  prune(now: number): number {
    const w = Math.floor(now / this.unitMs);
    let removed = 0;
    for (const [key, rec] of this.records) {
      if (rec.window < w - 1 && !rec.banning) {
        this.records.delete(key);
        removed++;
      }
    }
    return removed;
  }

  get size(): number {
    return this.records.size;
  }
}

function roll(rec: SourceRecord, w: number): void {
  const adjacent = rec.window === w - 1;
  rec.prev = adjacent ? rec.cur : 0;
  for (let i = 0; i < BUCKETS; i++) {
    rec.local[BUCKETS + i] = adjacent ? rec.local[i] : 0;
    rec.local[i] = 0;
  }
  rec.window = w;
  rec.cur = 0;
}

/**
 * Share of the previous window's local requests that lie after position f
 * (the start of the last unit, as a fraction of the previous window);
 * linear within a bucket; 1 - f when this node saw none.
 */
export function shareAfter(local: readonly number[], f: number): number {
  let total = 0;
  for (let i = BUCKETS; i < 2 * BUCKETS; i++) total += local[i];
  if (total === 0) return 1 - f;
  const pos = f * BUCKETS;
  const j = Math.min(BUCKETS - 1, Math.floor(pos));
  let after = local[BUCKETS + j] * (1 - (pos - j));
  for (let i = j + 1; i < BUCKETS; i++) after += local[BUCKETS + i];
  return after / total;
}
