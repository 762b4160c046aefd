// Slot coverage of a Redis Cluster (issue 19). The ioredis Cluster object
// stays 'ready' while one shard's master is dead (the other shards serve), so
// the backend's up/down status cannot tell that a third of the keys are out
// of reach. This check asks, once per interval, every master the client's
// slot map names for a PING, and counts the slots whose master is missing
// from the client's pool or does not answer. It is health reporting only: the
// backend status (and so readiness and state.fail_mode) keeps following the
// connection, because one shard down leaves the others serving.
import type { Cluster } from 'ioredis';
import type { ShardHealth, Unsubscribe } from '../types.ts';

/** slots of a Redis Cluster */
const SLOTS = 16384;

export interface ClusterHealthCheck {
  /** the last check's result (all slots unserved until the first check ends) */
  get(): ShardHealth;
  /** settles when the first check has ended */
  readonly first: Promise<void>;
  /** called when the number of unserved slots or of unreachable masters changes */
  on(cb: (h: ShardHealth) => void): Unsubscribe;
  stop(): void;
}

/** Starts checking `cluster` every `intervalMs` (the first check at once). */
export function watchClusterSlots(cluster: Cluster, intervalMs: number): ClusterHealthCheck {
  let current: ShardHealth = { unservedSlots: SLOTS, masters: 0, mastersDown: 0 };
  const listeners = new Set<(h: ShardHealth) => void>();
  let running = false;
  let stopped = false;
  const tick = (): Promise<void> => {
    if (running || stopped) return Promise.resolve();
    running = true;
    return checkSlots(cluster).then((h) => {
      running = false;
      if (stopped) return;
      const changed = h.unservedSlots !== current.unservedSlots || h.mastersDown !== current.mastersDown || h.masters !== current.masters;
      current = h;
      if (changed) for (const cb of [...listeners]) { try { cb(h); } catch { /* a listener's bug must not stop the check */ } }
    }, () => { running = false; });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  const first = tick();
  return {
    get: () => current,
    first,
    on(cb) {
      listeners.add(cb);
      return () => { listeners.delete(cb); };
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      listeners.clear();
    },
  };
}

/**
 * One check: the masters of the client's slot map (first key of each slot's
 * list), each PINGed once (bounded by the connection's commandTimeout); a
 * slot is served when its master is in the pool and answered.
 */
export async function checkSlots(cluster: Cluster): Promise<ShardHealth> {
  const slotsOf = new Map<string, number>();
  let unassigned = 0;
  for (let i = 0; i < SLOTS; i++) {
    const key = cluster.slots[i]?.[0];
    if (key === undefined) unassigned++;
    else slotsOf.set(key, (slotsOf.get(key) ?? 0) + 1);
  }
  const pool = new Map(cluster.nodes('master').map((r) => [`${r.options.host}:${r.options.port}`, r]));
  const answers = await Promise.all([...slotsOf.keys()].map(async (key) => {
    const node = pool.get(key);
    if (node === undefined) return false;
    try {
      return (await node.ping()) === 'PONG';
    } catch {
      return false;
    }
  }));
  let unservedSlots = unassigned;
  let mastersDown = 0;
  [...slotsOf.values()].forEach((n, i) => {
    if (!answers[i]) {
      unservedSlots += n;
      mastersDown++;
    }
  });
  return { unservedSlots, masters: slotsOf.size, mastersDown };
}
