// The histogram twin of libs/transport/batched-counter.ts. A prom-client
// child's observe() builds a label/value pair, validates the labels, hashes
// them and probes a bucket object by number-as-string key on every call: it
// showed at ~2% of the proxy's CPU per call for one observation per relayed
// request. Here an observation is a bucket scan over a preallocated array
// plus two additions; the pending counts are added to the prom-client
// histogram when the registry is read (its collect hook), so /metrics shows
// the same series (names, buckets, labels, _sum, _count) as direct observes.
import type { Histogram } from 'prom-client';

export interface Observe {
  observe(value: number): void;
}

/**
 * prom-client 15's record for one label set (lib/histogram.js createBaseValues):
 * non-cumulative counts keyed by upper bound (values above the last bound
 * only count in `count`, like prom-client's own observe), plus sum and count.
 */
interface PromHistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

type PromHistogramInternals = {
  collect?: () => unknown;
  hashMap?: Record<string, PromHistogramEntry>;
  upperBounds?: readonly number[];
};

class Cell implements Observe {
  /** observations per bucket since the last flush; the last slot is above every bound */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly pending: Pending,
    readonly labels: Record<string, string>,
  ) {
    this.counts = new Float64Array(pending.bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.pending.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    // queued on its first observation of the batch: new series then appear in the order prom-client would create them
    if (this.count === 0) this.pending.dirty.push(this);
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

interface Pending {
  histogram: PromHistogramInternals & Pick<Histogram<string>, 'zero'>;
  bounds: readonly number[];
  /** cells with observations since the last flush, in order of their first one */
  dirty: Cell[];
}

const pendingOf = new WeakMap<Histogram<string>, Pending>();

/** prom-client keeps one entry per label set; ours are found by value (a handful per histogram, scrape time only). */
function entryFor(hashMap: Record<string, PromHistogramEntry>, labels: Record<string, string>): PromHistogramEntry | undefined {
  const names = Object.keys(labels);
  for (const e of Object.values(hashMap)) {
    if (names.every((n) => e.labels[n] === labels[n]) && Object.keys(e.labels).length === names.length) return e;
  }
  return undefined;
}

function flush(p: Pending): void {
  for (const cell of p.dirty) {
    const hashMap = p.histogram.hashMap as Record<string, PromHistogramEntry>;
    let entry = entryFor(hashMap, cell.labels);
    if (entry === undefined) {
      // first observations for these labels (or the histogram was reset): the public way to create the entry
      p.histogram.zero(cell.labels);
      entry = entryFor(hashMap, cell.labels) as PromHistogramEntry;
    }
    for (let i = 0; i < p.bounds.length; i++) entry.bucketValues[p.bounds[i]] += cell.counts[i];
    entry.sum += cell.sum;
    entry.count += cell.count;
    cell.counts.fill(0);
    cell.sum = 0;
    cell.count = 0;
  }
  p.dirty.length = 0;
}

/** prom-client's internals this relies on, checked once per histogram; otherwise observe directly. */
function hasKnownShape(h: PromHistogramInternals): boolean {
  return typeof h.hashMap === 'object' && h.hashMap !== null && Array.isArray(h.upperBounds);
}

/** An observe for the child of `histogram` with these label values, batched until the next scrape. */
export function batchedHistogramChild<T extends string>(histogram: Histogram<T>, labels: Partial<Record<T, string>>): Observe {
  const h = histogram as unknown as PromHistogramInternals & Pick<Histogram<string>, 'zero'>;
  let pending = pendingOf.get(histogram as unknown as Histogram<string>);
  if (pending === undefined) {
    // a collect hook we did not install, or a prom-client we do not know: keep it, observe directly
    if (h.collect !== undefined || !hasKnownShape(h)) return histogram.labels(labels);
    const created: Pending = { histogram: h, bounds: [...(h.upperBounds as readonly number[])], dirty: [] };
    pending = created;
    pendingOf.set(histogram as unknown as Histogram<string>, created);
    h.collect = () => flush(created);
  }
  return new Cell(pending, { ...labels } as Record<string, string>);
}
