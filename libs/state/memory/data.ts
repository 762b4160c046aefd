// The maps behind the memory backend. One MemoryData is "the cluster": pass
// the same object to several createMemoryState() calls to simulate nodes
// sharing one store (as they share Redis). Times are in the injected clock.
import type { StoredContact } from '../contacts.ts';
import type { ConfigDoc } from '../types.ts';

export interface Expiring<T> {
  value: T;
  /** null = never */
  expiresAt: number | null;
}

export interface StoredBinding {
  contact: StoredContact;
  expiresAt: number;
  updatedAt: number;
}

export interface CallSet {
  /** callId -> expiresAt */
  members: Map<string, number>;
  /** no member expires before this: lets reads skip the pruning scan */
  nextExpiry: number;
}

export function pruneCalls(set: CallSet, now: number): void {
  if (now < set.nextExpiry) return;
  let next = Infinity;
  for (const [id, exp] of set.members) {
    if (exp <= now) set.members.delete(id);
    else if (exp < next) next = exp;
  }
  set.nextExpiry = next;
}

export interface LeaseGroup {
  /** member -> expiresAt */
  members: Map<string, number>;
  /** lease name -> holder and expiry (sync / leave) */
  names: Map<string, { holder: string; expiresAt: number }>;
  /** claimed name -> holder and expiry (claim): a namespace apart from `names`, as in Redis where claims spread per name */
  claims: Map<string, { holder: string; expiresAt: number }>;
}

export interface MemoryData {
  /** counter window key (name, windowMs, windowId) -> counts */
  readonly counters: Map<string, Expiring<Map<string, number>>>;
  /** table -> key -> value */
  readonly tables: Map<string, Map<string, Expiring<string>>>;
  /** token -> JSON record */
  readonly dialogs: Map<string, Expiring<string>>;
  /** token -> branchId -> JSON record */
  readonly branches: Map<string, Map<string, Expiring<string>>>;
  /** dest -> calls */
  readonly callLoad: Map<string, CallSet>;
  /** group -> members and leases */
  readonly leases: Map<string, LeaseGroup>;
  /** aor -> uri -> binding */
  readonly locations: Map<string, Map<string, StoredBinding>>;
  readonly config: Map<string, ConfigDoc>;
}

export function createMemoryData(): MemoryData {
  return {
    counters: new Map(),
    tables: new Map(),
    dialogs: new Map(),
    branches: new Map(),
    callLoad: new Map(),
    leases: new Map(),
    locations: new Map(),
    config: new Map(),
  };
}

export function live<T>(e: Expiring<T> | undefined, now: number): e is Expiring<T> {
  return e !== undefined && (e.expiresAt === null || e.expiresAt > now);
}

/** Drops everything expired; run by the cleanup timer so idle keys do not pile up. */
export function sweep(d: MemoryData, now: number): void {
  const dropExpired = <T>(m: Map<string, Expiring<T>>) => {
    for (const [k, e] of m) if (!live(e, now)) m.delete(k);
  };
  dropExpired(d.counters);
  dropExpired(d.dialogs);
  for (const [t, m] of d.tables) { dropExpired(m); if (m.size === 0) d.tables.delete(t); }
  for (const [t, m] of d.branches) { dropExpired(m); if (m.size === 0) d.branches.delete(t); }
  for (const [dest, set] of d.callLoad) {
    pruneCalls(set, now);
    if (set.members.size === 0) d.callLoad.delete(dest);
  }
  for (const [name, g] of d.leases) {
    for (const [m, exp] of g.members) if (exp <= now) g.members.delete(m);
    for (const [n, l] of g.names) if (l.expiresAt <= now) g.names.delete(n);
    for (const [n, l] of g.claims) if (l.expiresAt <= now) g.claims.delete(n);
    if (g.members.size === 0 && g.names.size === 0 && g.claims.size === 0) d.leases.delete(name);
  }
  for (const [aor, m] of d.locations) {
    for (const [uri, b] of m) if (b.expiresAt <= now) m.delete(uri);
    if (m.size === 0) d.locations.delete(aor);
  }
}
