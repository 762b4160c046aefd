// Destination selection, shaped like Kamailio ds_select_dst + ds_next_dst:
// the result is the ordered candidate list, first = where to send now, the
// rest = the failover order. Inactive and disabled destinations never appear.
import { dsHash } from './hash.ts';
import type { LiveSet } from './live-set.ts';
import { hashUri } from './uri-hash.ts';
import { DispatcherError, type AlgorithmId, type CallLoadProvider, type CallLoadStarter, type Destination, type SelectContext } from './types.ts';

/**
 * The starting index an algorithm picks (before skipping unselectable ones),
 * advancing this node's cursors for 4, 9 and 11.
 */
function startIndex(set: LiveSet, algorithm: AlgorithmId, ctx: SelectContext): number {
  switch (algorithm) {
    case 0:
      return dsHash(ctx.callId.trim());
    case 1:
      return hashUri(ctx.fromUri);
    case 2:
      return hashUri(ctx.toUri);
    case 3:
      return hashUri(ctx.ruri);
    case 4:
      return set.rr;
    case 5: {
      // Kamailio falls back to round robin without credentials; hashing the
      // From URI instead keeps the choice the same on every node.
      const user = ctx.authUser?.trim();
      return user ? dsHash(user) : hashUri(ctx.fromUri);
    }
    case 6:
      return set.random();
    case 7: {
      const key = ctx.hashKey?.trim();
      if (!key) throw new DispatcherError('missing_hash_key', 'algorithm 7 hashes SelectContext.hashKey, which the routing did not provide');
      return dsHash(key);
    }
    case 8:
    case 12:
      return 0;
    case 9: {
      const i = set.wlist[set.wlast];
      set.wlast = (set.wlast + 1) % set.wlist.length;
      return i;
    }
    case 11: {
      const i = set.rwlist[set.rwlast];
      set.rwlast = (set.rwlast + 1) % set.rwlist.length;
      return i;
    }
    case 13:
      return set.rr; // ordered by latencyOrder before we get here
    case 10:
      throw new DispatcherError('needs_call_load', 'algorithm 10 (call load) needs selectDestinationsAsync with a call-load provider');
  }
}

/**
 * Kamailio ds_manage_route_algo13: walking the set from the round-robin
 * cursor, each selectable destination's priority is lowered by its latency
 * (estimate, or congestion with cc=1) divided by its priority, never below 1;
 * candidates are ordered by that lowered priority (ties in walking order, so
 * equal ones take turns), and the cursor moves past the first.
 */
function latencyOrder(set: LiveSet, limit: number): Destination[] {
  const n = set.size;
  const ranked: { i: number; p: number }[] = [];
  for (let k = 0; k < n; k++) {
    const i = (set.rr + k) % n;
    if (!set.selectable(i)) continue;
    const d = set.destinations[i];
    const lat = set.latency(i);
    const latency = lat === undefined ? 0 : Math.trunc(d.attrs.cc === 1 ? lat.est - lat.avg : lat.est);
    let p = d.priority;
    if (latency > p && p > 0) p = Math.max(1, p - Math.trunc(latency / p));
    ranked.push({ i, p });
  }
  ranked.sort((a, b) => b.p - a.p); // stable: walking order among equals
  if (ranked.length > 0) set.rr = (ranked[0].i + 1) % n;
  const out = ranked.map((r) => set.destinations[r.i]);
  return limit > 0 ? out.slice(0, limit) : out;
}

/** Selectable destinations starting at `start`, wrapping around: the chosen one, then those after it, then those before it. */
function rotation(set: LiveSet, start: number, limit: number, skip?: (i: number) => boolean): Destination[] {
  const n = set.size;
  const out: Destination[] = [];
  const max = limit > 0 ? limit : n;
  for (let k = 0; k < n && out.length < max; k++) {
    const i = (start + k) % n;
    if (set.selectable(i) && !skip?.(i)) out.push(set.destinations[i]);
  }
  return out;
}

/**
 * Ordered candidates of `set` for a request: first = primary, then the
 * failover order (ds_next_dst). `limit` > 0 caps the list (first included).
 * Empty when no destination is selectable. Algorithm 12 returns every
 * selectable destination for parallel forking; 8 the same list, tried in turn.
 */
export function selectDestinations(set: LiveSet, algorithm: AlgorithmId, ctx: SelectContext, limit = 0): Destination[] {
  const n = set.size;
  if (n === 0) return [];
  if (algorithm === 13) return latencyOrder(set, limit);
  const start = startIndex(set, algorithm, ctx) % n;
  const out = rotation(set, start, limit);
  // Kamailio sets last = chosen + 1, so an inactive destination does not give its turn to the same neighbour twice.
  if (algorithm === 4 && out.length > 0) set.rr = (set.destinations.indexOf(out[0]) + 1) % n;
  return out;
}

export interface AsyncSelectOptions {
  readonly limit?: number;
  /** algorithm 10: reads the loads (the caller counts the call itself) */
  readonly loadsOf?: CallLoadProvider;
  /** algorithm 10: counts the call on the chosen destination in the same round trip (preferred) */
  readonly startCall?: CallLoadStarter;
}

/**
 * Like selectDestinations, and also algorithm 10 (call load): the first
 * candidate is the selectable destination with the fewest active calls
 * cluster-wide (skipping those at maxload); the rest follow in set order
 * from it, also skipping full ones. Destinations without duid are never
 * chosen by algorithm 10. Loads are fetched in one provider call.
 */
export async function selectDestinationsAsync(set: LiveSet, algorithm: AlgorithmId, ctx: SelectContext, opts: AsyncSelectOptions = {}): Promise<Destination[]> {
  if (algorithm !== 10) return selectDestinations(set, algorithm, ctx, opts.limit);
  if (!opts.loadsOf && !opts.startCall) throw new DispatcherError('needs_call_load', 'algorithm 10 (call load) needs a loadsOf or startCall provider');
  const n = set.size;
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (set.selectable(i) && set.destinations[i].attrs.duid !== undefined) candidates.push(i);
  if (candidates.length === 0) return [];
  const duids = candidates.map((i) => set.destinations[i].attrs.duid as string);
  if (opts.startCall) {
    const r = await opts.startCall(duids, ctx.callId, candidates.map((i) => set.destinations[i].attrs.maxload ?? 0));
    if (r === null) return [];
    const countOf = new Map(duids.map((d, k) => [d, r.counts[k] ?? 0]));
    const k = duids.indexOf(r.duid);
    if (k < 0) return [];
    const chosen = candidates[k];
    const full = (i: number) => {
      const max = set.destinations[i].attrs.maxload ?? 0;
      return max > 0 && (countOf.get(set.destinations[i].attrs.duid as string) ?? 0) >= max;
    };
    // the chosen one first even if this call filled it; then the others in set order, skipping full ones
    return rotation(set, chosen, opts.limit ?? 0, (i) => set.destinations[i].attrs.duid === undefined || (i !== chosen && full(i)));
  }
  const loads = await (opts.loadsOf as CallLoadProvider)(duids);
  const loadOf = (i: number) => loads.get(set.destinations[i].attrs.duid as string) ?? 0;
  const full = (i: number) => {
    const max = set.destinations[i].attrs.maxload ?? 0;
    return max > 0 && loadOf(i) >= max;
  };
  let best = -1;
  for (const i of candidates) if (!full(i) && (best < 0 || loadOf(i) < loadOf(best))) best = i;
  if (best < 0) return [];
  return rotation(set, best, opts.limit ?? 0, (i) => set.destinations[i].attrs.duid === undefined || full(i));
}
