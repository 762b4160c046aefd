// DispatcherState: the live destination sets of this node. Admin commands,
// failover and the prober change states here; listeners hear every change
// (the node publishes them on NATS as "gateway up/down" and applies the
// news of other nodes with reason 'cluster').
import { LatencyStats, type LatencySnapshot } from './latency.ts';
import { LiveSet } from './live-set.ts';
import { afterProbe, type ProbingMode } from './probing.ts';
import type { Rng } from './rng.ts';
import { selectDestinations, selectDestinationsAsync, type AsyncSelectOptions } from './select.ts';
import { afterOutcome, stateCode, stateOfKind, type Thresholds } from './state-machine.ts';
import {
  DispatcherError,
  type AlgorithmId,
  type ChangeReason,
  type Destination,
  type DestinationSet,
  type DestinationState,
  type DestinationStatus,
  type DispatcherEvent,
  type SelectContext,
  type StateKind,
} from './types.ts';

export interface DispatcherStateOptions {
  /** randomness for algorithms 6, 9, 11; default Math.random */
  readonly rng?: Rng;
  /** clock for `since`; default Date.now */
  readonly now?: () => number;
  /** where listener exceptions go (a pino Logger fits); without it they are rethrown after all listeners ran */
  readonly logger?: { error(obj: object, msg?: string): void };
}

export interface ListedDestination {
  readonly uri: string;
  /** Kamailio letters: "AP", "IX", "TP", "DX" */
  readonly flags: string;
  readonly state: StateKind;
  readonly probe: boolean;
  readonly since: number;
  readonly priority: number;
  readonly attrs: string;
  readonly duid?: string;
  /** probe latency (ds_ping_latency_stats), once measured */
  readonly latency?: LatencySnapshot;
}

/** What ds_mark_dst does to a destination after a failed relay: i (inactive) or t (trying, counts toward ds_probing_threshold), optionally with p. */
export interface FailureMark {
  readonly kind: 'inactive' | 'probing';
  readonly probe: boolean;
}

/** A probe's outcome: answered with a status (ok per ds_ping_reply_codes) after ms, or no answer. */
export type ProbeOutcome = { readonly ok: boolean; readonly ms?: number; readonly timedOut: boolean };

export interface ProbeRules {
  readonly mode: ProbingMode;
  readonly thresholds: Thresholds;
  /** ds_ping_latency_stats */
  readonly latencyStats: boolean;
  /** ds_latency_estimator_alpha as a fraction */
  readonly alpha: number;
}

/** A destination's state as shared with the cluster (Redis record, NATS news). */
export interface SharedDestination {
  readonly state: DestinationState;
  readonly probe: boolean;
  readonly latency?: LatencySnapshot;
}

export interface ListedSet {
  readonly id: number;
  readonly destinations: readonly ListedDestination[];
}

export interface ReloadSummary {
  readonly added: number;
  readonly removed: number;
  readonly kept: number;
}

type Listener<K extends DispatcherEvent['type']> = (e: Extract<DispatcherEvent, { type: K }>) => void;

export class DispatcherState {
  private live = new Map<number, LiveSet>();
  private readonly rng: Rng;
  private readonly now: () => number;
  private readonly logger: DispatcherStateOptions['logger'];
  private readonly listeners = new Map<DispatcherEvent['type'], Set<(e: DispatcherEvent) => void>>();

  constructor(sets: readonly DestinationSet[], opts: DispatcherStateOptions = {}) {
    this.rng = opts.rng ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger;
    const t = this.now();
    for (const s of sets) this.live.set(s.id, new LiveSet(s, this.rng, t));
  }

  /** Subscribes to 'state' (a destination's state or probe flag changed) or 'reload'. Returns the unsubscribe function. */
  on<K extends DispatcherEvent['type']>(type: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    const l = listener as (e: DispatcherEvent) => void;
    set.add(l);
    return () => void set.delete(l);
  }

  private emit(e: DispatcherEvent): void {
    const failures: unknown[] = [];
    for (const l of this.listeners.get(e.type) ?? []) {
      try {
        l(e);
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 0) return;
    // A failing listener (e.g. NATS publish) must not leave the others unnotified.
    if (this.logger) for (const err of failures) this.logger.error({ err, event: e }, 'dispatcher event listener failed');
    else throw failures[0];
  }

  getSet(id: number): LiveSet | undefined {
    return this.live.get(id);
  }

  setIds(): number[] {
    return [...this.live.keys()].sort((a, b) => a - b);
  }

  status(setId: number, uri: string): DestinationStatus | undefined {
    const set = this.live.get(setId);
    const i = set?.indexOf(uri) ?? -1;
    return set && i >= 0 ? set.status(i) : undefined;
  }

  private locate(setId: number, uri: string): { set: LiveSet; i: number } {
    const set = this.live.get(setId);
    if (!set) throw new DispatcherError('unknown_set', `no destination set ${setId}`);
    const i = set.indexOf(uri);
    if (i < 0) throw new DispatcherError('unknown_destination', `set ${setId} has no destination ${uri}`);
    return { set, i };
  }

  private change(set: LiveSet, i: number, state: DestinationState, probe: boolean, reason: ChangeReason): DestinationStatus {
    const from = set.status(i);
    const kindChanged = from.state.kind !== state.kind;
    const to: DestinationStatus = { state, probe, since: kindChanged ? this.now() : from.since };
    set.setStatus(i, to);
    if (kindChanged || from.probe !== probe) this.emit({ type: 'state', setId: set.id, uri: set.destinations[i].uri, from, to, reason });
    return to;
  }

  /**
   * Sets a destination's state (dispatcher.set_state, or news from another
   * node with reason 'cluster'). A kind resets its counters; `probe` keeps the
   * current probing flag unless given. Throws DispatcherError for an unknown set or URI.
   */
  setState(setId: number, uri: string, state: DestinationState | StateKind, opts: { probe?: boolean; reason?: ChangeReason } = {}): DestinationStatus {
    const { set, i } = this.locate(setId, uri);
    const s = typeof state === 'string' ? stateOfKind(state) : state;
    return this.change(set, i, s, opts.probe ?? set.status(i).probe, opts.reason ?? 'admin');
  }

  /** Records a probe or request outcome (ds_mark_dst / keepalive reply) and applies the thresholds. */
  report(setId: number, uri: string, ok: boolean, thresholds: Thresholds, reason: ChangeReason = 'probe'): DestinationStatus {
    const { set, i } = this.locate(setId, uri);
    const cur = set.status(i);
    return this.change(set, i, afterOutcome(cur.state, ok, thresholds), cur.probe, reason);
  }

  /**
   * A probe answer (ds_options_callback): latency figures first, then the
   * state per ds_probing_mode. Emits 'latency' and, on a change, 'state'.
   */
  applyProbe(setId: number, uri: string, outcome: ProbeOutcome, rules: ProbeRules): DestinationStatus {
    const { set, i } = this.locate(setId, uri);
    if (rules.latencyStats) {
      const stats = set.latencyFor(i);
      if (outcome.timedOut) stats.timeout();
      else if (outcome.ms !== undefined) stats.add(outcome.ms, rules.alpha);
      set.latencyChanged();
      this.emit({ type: 'latency', setId, uri, reason: 'probe' });
    }
    const cur = set.status(i);
    const next = afterProbe(rules.mode, cur, outcome.ok, rules.thresholds);
    return next ? this.change(set, i, next.state, next.probe, 'probe') : cur;
  }

  /** ds_mark_dst after a failed relay (timeout or failover code). A disabled destination stays disabled. */
  markFailed(setId: number, uri: string, mark: FailureMark, thresholds: Thresholds): DestinationStatus {
    const { set, i } = this.locate(setId, uri);
    const cur = set.status(i);
    if (cur.state.kind === 'disabled') return cur;
    const state: DestinationState = mark.kind === 'inactive'
      ? (cur.state.kind === 'inactive' ? cur.state : { kind: 'inactive', successes: 0 })
      : afterOutcome(cur.state, false, thresholds);
    return this.change(set, i, state, cur.probe || mark.probe, 'failover');
  }

  /** What this node holds for a destination, as shared with the cluster; undefined when unknown. */
  shared(setId: number, uri: string): SharedDestination | undefined {
    const set = this.live.get(setId);
    const i = set?.indexOf(uri) ?? -1;
    if (!set || i < 0) return undefined;
    const st = set.status(i);
    const lat = set.latency(i);
    return { state: st.state, probe: st.probe, ...(lat ? { latency: lat.snapshot() } : {}) };
  }

  /** Applies another node's view (NATS news or the Redis record), reason 'cluster'. False for an unknown destination. */
  applyShared(setId: number, uri: string, rec: SharedDestination): boolean {
    const set = this.live.get(setId);
    const i = set?.indexOf(uri) ?? -1;
    if (!set || i < 0) return false;
    if (rec.latency) {
      set.setLatency(i, LatencyStats.from(rec.latency));
      set.latencyChanged();
      this.emit({ type: 'latency', setId, uri, reason: 'cluster' });
    }
    this.change(set, i, rec.state, rec.probe, 'cluster');
    return true;
  }

  /** Every set with the live state of each destination (dispatcher.list). */
  list(): ListedSet[] {
    return this.setIds().map((id) => {
      const set = this.live.get(id) as LiveSet;
      return {
        id,
        destinations: set.destinations.map((d, i) => {
          const st = set.status(i);
          return {
            uri: d.uri,
            flags: stateCode(st),
            state: st.state.kind,
            probe: st.probe,
            since: st.since,
            priority: d.priority,
            attrs: d.attrs.text,
            ...(d.attrs.duid !== undefined ? { duid: d.attrs.duid } : {}),
            ...(set.latency(i) ? { latency: set.latency(i)!.snapshot() } : {}),
          };
        }),
      };
    });
  }

  /**
   * Replaces the sets (dispatcher.reload). A destination still present with
   * the same configured flags keeps its live state (a gateway known down stays
   * down); a new one, or one whose flags were edited, starts from its flags.
   * Round-robin cursors carry over so a reload does not send a burst to the first gateway.
   */
  reload(sets: readonly DestinationSet[]): ReloadSummary {
    const old = this.live;
    const t = this.now();
    let kept = 0;
    let added = 0;
    const next = new Map<number, LiveSet>();
    for (const s of sets) {
      const prev = old.get(s.id);
      const keep = (d: Destination): DestinationStatus | undefined => {
        const j = prev?.indexOf(d.uri) ?? -1;
        if (!prev || j < 0 || prev.destinations[j].flags !== d.flags) return undefined;
        return prev.status(j);
      };
      const ls = new LiveSet(s, this.rng, t, (d) => {
        const st = keep(d);
        if (st) kept++;
        else added++;
        return st;
      }, (d) => {
        // latency figures stay with a destination that stays (Kamailio ds_retain_latency_stats=1)
        const j = prev?.indexOf(d.uri) ?? -1;
        return j >= 0 ? prev?.latency(j) : undefined;
      });
      if (prev && ls.size > 0) {
        ls.rr = prev.rr % ls.size;
      }
      next.set(s.id, ls);
    }
    const total = [...old.values()].reduce((n, s) => n + s.size, 0);
    this.live = next;
    const summary = { added, removed: total - kept, kept };
    this.emit({ type: 'reload', sets: next.size, ...summary });
    return summary;
  }

  /** selectDestinations on set `setId`; [] when the set does not exist (answer as Kamailio's "no destination"). */
  select(setId: number, algorithm: AlgorithmId, ctx: SelectContext, limit?: number): Destination[] {
    const set = this.live.get(setId);
    return set ? selectDestinations(set, algorithm, ctx, limit) : [];
  }

  /** selectDestinationsAsync on set `setId` (needed for algorithm 10). */
  async selectAsync(setId: number, algorithm: AlgorithmId, ctx: SelectContext, opts?: AsyncSelectOptions): Promise<Destination[]> {
    const set = this.live.get(setId);
    return set ? selectDestinationsAsync(set, algorithm, ctx, opts) : [];
  }
}
