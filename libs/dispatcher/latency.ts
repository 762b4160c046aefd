// Probe latency statistics as Kamailio keeps them (ds_ping_latency_stats):
// running average and standard deviation (Welford's online algorithm), an
// EWMA estimate (ds_latency_estimator_alpha), max, min and timeouts. The
// congestion of a destination is how far the short-term estimate runs above
// the long-term average (used by cc=1 and algorithm 13).

export interface LatencySnapshot {
  readonly count: number;
  /** ms */
  readonly avg: number;
  readonly std: number;
  /** EWMA estimate, ms */
  readonly est: number;
  readonly max: number;
  readonly min: number;
  /** probes that got no answer */
  readonly timeouts: number;
}

/** Kamailio caps the sample count here: from then on the average is a weighted one. */
const MAX_COUNT = 2_097_152;
/** Kamailio: a stable average after 10 samples skips ahead to this count (the estimator is "trained"). */
const TRAINING_COUNT = 10_000;

export class LatencyStats {
  count = 0;
  avg = 0;
  m2 = 0;
  std = 0;
  est = 0;
  max = 0;
  min = 0;
  timeouts = 0;

  /** Seeds the estimator (Kamailio attr latency=N): as if 10000 stable samples of `ms`. */
  static seeded(ms: number): LatencyStats {
    const s = new LatencyStats();
    s.count = TRAINING_COUNT;
    s.avg = s.est = s.max = s.min = ms;
    return s;
  }

  static from(snap: LatencySnapshot): LatencyStats {
    const s = new LatencyStats();
    Object.assign(s, { count: snap.count, avg: snap.avg, std: snap.std, est: snap.est, max: snap.max, min: snap.min, timeouts: snap.timeouts });
    s.m2 = snap.count > 1 ? snap.std * snap.std * (snap.count - 1) : 0;
    return s;
  }

  /** One answered probe that took `ms` (Kamailio latency_stats_update). `alpha` in (0, 1]. */
  add(ms: number, alpha: number): void {
    if (this.count < MAX_COUNT) this.count++;
    else this.m2 -= this.m2 / this.count;
    if (this.count === 1) {
      this.avg = this.est = this.max = this.min = ms;
      this.m2 = 0;
      this.std = 0;
      return;
    }
    if (this.count > 10 && this.count < TRAINING_COUNT && this.std < 0.5) this.count = TRAINING_COUNT;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    const delta = ms - this.avg;
    this.avg += delta / this.count;
    this.m2 += delta * (ms - this.avg);
    this.std = Math.sqrt(Math.max(0, this.m2) / (this.count - 1));
    this.est = this.count < 10 ? this.avg : ms * alpha + this.est * (1 - alpha);
  }

  timeout(): void {
    this.timeouts++;
  }

  /** ms the estimate runs above the average, never negative (Kamailio congestion_ms). */
  get congestion(): number {
    return Math.max(0, Math.trunc(this.est - this.avg));
  }

  snapshot(): LatencySnapshot {
    const r = (n: number) => Math.round(n * 1000) / 1000;
    return { count: this.count, avg: r(this.avg), std: r(this.std), est: r(this.est), max: this.max, min: this.min, timeouts: this.timeouts };
  }
}

/**
 * Congestion control (cc=1) for a set, as Kamailio's ds_update_latency does:
 * each cc destination's relative weight becomes weight - congestion_ms (at
 * least 0); when every weighted destination of the set is congested, weights
 * become total_congestion * 16 / own congestion (the least congested gets the
 * most). Returns the rweights, or undefined where a destination keeps its own.
 */
export function congestionWeights(dests: readonly { readonly weight?: number; readonly cc?: number; readonly latency?: LatencyStats }[]): (number | undefined)[] {
  let congested = 0;
  let normal = 0;
  let total = 0;
  let allCc = dests.length > 0;
  const active = dests.map((d) => {
    if (d.cc !== 1) allCc = false;
    if (d.cc !== 1 || !d.weight || d.weight <= 0) return undefined;
    const c = d.latency?.congestion ?? 0;
    total += c;
    const w = Math.max(0, d.weight - c);
    if (w === 0) congested++;
    else normal++;
    return w;
  });
  if (!allCc || congested <= 1 || normal > 0) return active;
  return dests.map((d) => Math.trunc((total << 4) / Math.max(1, d.latency?.congestion ?? 0)));
}
