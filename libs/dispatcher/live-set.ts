// A destination set with its live state and this node's selection cursors
// (Kamailio's idx->last, wlast, rwlast). Owned by DispatcherState.
import { congestionWeights, LatencyStats } from './latency.ts';
import type { Rng } from './rng.ts';
import { shuffle } from './rng.ts';
import { initialStatus, isSelectable } from './state-machine.ts';
import type { Destination, DestinationSet, DestinationStatus } from './types.ts';

const SLOTS = 100;

export class LiveSet {
  readonly id: number;
  readonly destinations: readonly Destination[];
  private readonly statuses: DestinationStatus[];
  private readonly rng: Rng;
  /** round-robin cursor: index to start from next time */
  rr = 0;
  /** weight (algorithm 9): 100 slots of destination indexes, shuffled once, walked in turn */
  readonly wlist: readonly number[];
  wlast = 0;
  /** relative weight (algorithm 11): rebuilt when a destination becomes (un)selectable or its congestion changes */
  rwlist: readonly number[];
  rwlast = 0;
  /** probe latency per destination (undefined until measured or seeded with attr latency=) */
  private readonly latencies: (LatencyStats | undefined)[];
  /** rweight in force: the attr, or weight - congestion with cc=1 (Kamailio ds_update_latency) */
  private rweights: (number | undefined)[];

  constructor(set: DestinationSet, rng: Rng, now: number, previous?: (d: Destination) => DestinationStatus | undefined, previousLatency?: (d: Destination) => LatencyStats | undefined) {
    this.id = set.id;
    this.destinations = set.destinations;
    this.rng = rng;
    this.statuses = set.destinations.map((d) => previous?.(d) ?? initialStatus(d.flags, now));
    this.latencies = set.destinations.map((d) => previousLatency?.(d) ?? seededLatency(d));
    this.rweights = this.congestedRweights();
    this.wlist = this.buildWeights();
    this.rwlist = this.buildRelativeWeights();
  }

  latency(i: number): LatencyStats | undefined {
    return this.latencies[i];
  }

  /** The stats object of destination i, created on first use. */
  latencyFor(i: number): LatencyStats {
    return (this.latencies[i] ??= new LatencyStats());
  }

  /** Replaces destination i's stats (news from the node that probes it). */
  setLatency(i: number, stats: LatencyStats): void {
    this.latencies[i] = stats;
  }

  /** Recomputes congestion-controlled rweights after new latency figures; rebuilds the slots when they moved. */
  latencyChanged(): void {
    const next = this.congestedRweights();
    if (next.every((w, i) => w === this.rweights[i])) return;
    this.rweights = next;
    this.rwlist = this.buildRelativeWeights();
  }

  /** rweight in force for destination i */
  rweight(i: number): number | undefined {
    return this.rweights[i];
  }

  private congestedRweights(): (number | undefined)[] {
    const cc = congestionWeights(this.destinations.map((d, i) => ({ weight: d.attrs.weight, cc: d.attrs.cc, latency: this.latencies[i] })));
    return this.destinations.map((d, i) => cc[i] ?? d.attrs.rweight);
  }

  get size(): number {
    return this.destinations.length;
  }

  status(i: number): DestinationStatus {
    return this.statuses[i];
  }

  selectable(i: number): boolean {
    return isSelectable(this.statuses[i].state);
  }

  indexOf(uri: string): number {
    return this.destinations.findIndex((d) => d.uri === uri);
  }

  /** Used by DispatcherState only (it emits the events). */
  setStatus(i: number, status: DestinationStatus): void {
    const was = this.selectable(i);
    this.statuses[i] = status;
    if (was !== this.selectable(i)) this.rwlist = this.buildRelativeWeights();
  }

  /**
   * Kamailio dp_init_weights: each destination gets `weight` of the 100 slots
   * in set order; slots left over go to the last destination; then shuffled.
   * Without a weight on the first destination every slot is index 0.
   */
  private buildWeights(): number[] {
    const n = this.destinations.length;
    if (n === 0 || this.destinations[0].attrs.weight === undefined) return new Array<number>(SLOTS).fill(0);
    const slots: number[] = [];
    for (let j = 0; j < n && slots.length < SLOTS; j++) {
      const w = this.destinations[j].attrs.weight ?? 0;
      for (let k = 0; k < w && slots.length < SLOTS; k++) slots.push(j);
    }
    while (slots.length < SLOTS) slots.push(n - 1);
    return shuffle(slots, this.rng);
  }

  /**
   * Kamailio dp_init_relative_weights: only selectable destinations share the
   * slots, each rweight*100/sum of them (truncated), the rest to the last one
   * filled; shuffled. No selectable rweight at all: every slot is index 0.
   */
  private buildRelativeWeights(): number[] {
    const n = this.destinations.length;
    let sum = 0;
    for (let j = 0; j < n; j++) if (this.selectable(j)) sum += this.rweights[j] ?? 0;
    if (sum === 0) return new Array<number>(SLOTS).fill(0);
    const slots: number[] = [];
    for (let j = 0; j < n; j++) {
      if (!this.selectable(j)) continue;
      const slice = Math.floor(((this.rweights[j] ?? 0) * SLOTS) / sum);
      for (let k = 0; k < slice; k++) slots.push(j);
    }
    const last = slots.length > 0 ? slots[slots.length - 1] : n - 1;
    while (slots.length < SLOTS) slots.push(last);
    return shuffle(slots, this.rng);
  }

  /** random integer for algorithm 6 */
  random(): number {
    return Math.floor(this.rng() * 0x7fffffff);
  }
}

/** Kamailio attr latency=N seeds the estimator (as if trained on N ms). */
function seededLatency(d: Destination): LatencyStats | undefined {
  const v = d.attrs.extra.latency;
  return v !== undefined && /^\d{1,6}$/.test(v) ? LatencyStats.seeded(Number(v)) : undefined;
}
