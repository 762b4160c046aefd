// Shared-state contracts. Features (pike, bans, topos, dispatcher, registrar,
// config) depend on these interfaces only; memory.ts and redis.ts implement
// them. Every async call is at most one Redis round trip (a Lua script or one
// pipelined command), so a dialog-creating request can stay within one.
// Clock rule: expiry is always given as a relative TTL in ms; absolute times
// returned (expiresAt) are in the caller's own clock (Date.now() or the
// injected now()), so clock skew between nodes and Redis does not matter.

/** Health of a backend. `reconnect: true` means "was down, is back: re-sync from the store". */
export type BackendStatus =
  | { up: true; reconnect: boolean }
  | { up: false; error: Error };

export type Unsubscribe = () => void;

/** Redis Cluster slot coverage (libs/state/redis/cluster-health.ts). */
export interface ShardHealth {
  /** slots (of 16384) with no master that answers: their keys cannot be read or written */
  readonly unservedSlots: number;
  /** masters the client's slot map names */
  readonly masters: number;
  /** of those, the ones missing or not answering PING */
  readonly mastersDown: number;
}

// ---------------------------------------------------------------- counters

export interface CounterOptions {
  /** Fixed sampling unit (pike sampling_time_unit) in ms. */
  windowMs: number;
  /** Local deltas are sent at least this often (one round trip per flush). */
  flushIntervalMs: number;
  /** Flush early when this many distinct keys are pending. Default 1000. */
  maxBatch?: number;
}

/** Outcome of a flush: timer-driven flushes are reported to onFlush listeners. */
export type FlushResult =
  | { ok: true; windowId: number; totals: Map<string, number> }
  | { ok: false; error: Error; keys: number };

export interface CounterEntry {
  key: string;
  count: number;
}

/**
 * Windowed per-key request counts (pike). add() is local and synchronous;
 * flush() sends all pending deltas in one round trip and returns the
 * cluster-wide totals of the current window for the keys it flushed.
 * Windows are floor(now / windowMs); a window's data expires after 2 windows.
 */
export interface CounterStore {
  readonly name: string;
  readonly windowMs: number;
  /** Counts locally; returns the best local estimate of the cluster total
   *  (last total seen from the store in this window + unflushed local adds). */
  add(key: string, n?: number): number;
  /** Number of distinct keys with unflushed deltas. */
  pending(): number;
  /** Sends all pending deltas; resolves to cluster totals (current window) of the flushed keys. */
  flush(): Promise<Map<string, number>>;
  /** Cluster total of the current window as stored (excludes unflushed local adds). */
  total(key: string): Promise<number>;
  /** Hottest keys, highest first ("pike top"): of the current window, or of
   *  the previous (complete) one, which is more telling early in a window. */
  top(n: number, window?: 'current' | 'previous'): Promise<CounterEntry[]>;
  /** Results of timer/batch-driven flushes (also of explicit flush() calls). */
  onFlush(cb: (r: FlushResult) => void): Unsubscribe;
  /** Stops the flush timer (pending deltas are flushed once, best effort). */
  close(): Promise<void>;
}

// ---------------------------------------------------------------- tables

export interface TableEntry {
  key: string;
  value: string;
  /** Absolute expiry in the caller's clock; null = never expires. */
  expiresAt: number | null;
  /** Remaining ms at read time; null = never expires. */
  ttlMs: number | null;
}

export interface IncrResult {
  value: number;
  expiresAt: number | null;
}

/**
 * htable-like named tables with per-entry TTL (ipban, auth failures...).
 * Table names match /^[A-Za-z0-9_.-]+$/ (they are part of Redis keys).
 */
export interface TableStore {
  get(table: string, key: string): Promise<TableEntry | null>;
  /** ttlMs undefined = no expiry. Overwrites value and TTL. */
  set(table: string, key: string, value: string, ttlMs?: number): Promise<TableEntry>;
  /** Resolves true when the entry existed. */
  delete(table: string, key: string): Promise<boolean>;
  /** Adds `by` to an integer entry. The TTL is set only when the entry is
   *  created (a fixed window from the first increment, as for auth failures);
   *  rejects when the existing value is not an integer. */
  incr(table: string, key: string, by: number, ttlMs: number): Promise<IncrResult>;
  /** Live entries (optionally whose key starts with prefix), with remaining TTL. */
  dump(table: string, prefix?: string): Promise<TableEntry[]>;
  /** Number of live entries. */
  count(table: string): Promise<number>;
}

// ---------------------------------------------------------------- dialogs

/** What topos stores: an opaque string, or a JSON-able object (round-trips as such). */
export type DialogRecord = string | { [k: string]: unknown };

export interface DialogPutOptions {
  /** TTL of branch records (topos branch_expire), used for `branch` below. */
  branchExpireMs: number;
  /** TTL of the dialog record (topos dialog_expire) unless refreshed. */
  dialogExpireMs: number;
  /** Optional first branch stored in the same round trip (initial INVITE). */
  branch?: { branchId: string; data: DialogRecord };
}

/**
 * Topology-stripping storage (Kamailio topos): a dialog record per token and
 * short-lived per-branch records. Tokens match /^[^:\s]+$/.
 */
export interface DialogStore {
  put(token: string, record: DialogRecord, opts: DialogPutOptions): Promise<void>;
  get(token: string): Promise<DialogRecord | null>;
  /** Reads the record and sets its TTL in the same round trip (Redis GETEX): in-dialog traffic renews, a BYE shortens. */
  getAndExpire(token: string, ttlMs: number): Promise<DialogRecord | null>;
  /** Sets a new TTL (e.g. on in-dialog traffic, or short after BYE). Resolves false if gone. */
  refresh(token: string, dialogExpireMs: number): Promise<boolean>;
  /** Removes the dialog record; branch records expire by themselves. */
  delete(token: string): Promise<boolean>;
  putBranch(token: string, branchId: string, data: DialogRecord, branchExpireMs: number): Promise<void>;
  getBranch(token: string, branchId: string): Promise<DialogRecord | null>;
}

// ---------------------------------------------------------------- call load

export interface CallLoadStart {
  dest: string;
  /** Active calls on dest including this one. */
  count: number;
  /** Active calls on each of the given dests after the start, in their order (failover order skips full ones). */
  counts: number[];
}

/**
 * Active calls per destination, cluster-wide (dispatcher algorithm 10).
 * Each call is an expiring member: a call of a dead node disappears after its
 * TTL unless refreshed, so no counter leaks.
 */
export interface CallLoadStore {
  /** Adds (or re-adds, idempotent) callId on dest; resolves to the new count. */
  start(dest: string, callId: string, ttlMs: number): Promise<number>;
  /** Picks the first of `dests` with the fewest active calls (skipping those
   *  at or above maxLoad when given: one limit for all, or one per dest where
   *  0 = none) and starts the call there, atomically. A Call-ID already
   *  counted on one of them (a retransmitted INVITE) stays there.
   *  Resolves null when every destination is full. */
  startLeastLoaded(dests: string[], callId: string, ttlMs: number, maxLoad?: number | readonly number[]): Promise<CallLoadStart | null>;
  /** Ends callId on whichever of `dests` counts it (a BYE seen by any node knows the Call-ID, not the gateway). */
  endAny(dests: string[], callId: string): Promise<string | null>;
  /** Extends a long call; resolves false if the call is not (or no longer) counted. */
  refresh(dest: string, callId: string, ttlMs: number): Promise<boolean>;
  /** Resolves to the count after removal. */
  end(dest: string, callId: string): Promise<number>;
  count(dest: string): Promise<number>;
  /** Counts of several destinations in one round trip. */
  counts(dests: string[]): Promise<Map<string, number>>;
}

// ---------------------------------------------------------------- leases

export interface LeaseSync {
  /** live members of the group (this one included), sorted */
  members: string[];
  /** names this member holds after the call (wanted ones it got or kept) */
  owned: string[];
}

/**
 * Work shared among live nodes: a group has members (each alive while it
 * renews within ttlMs) and named leases, each held by at most one member at a
 * time until it expires or is released. The dispatcher's probers use one group
 * ("ds-probe": one lease per gateway); `claim` pins a value cluster-wide (the
 * gateway chosen for an INVITE branch). Group names match /^[A-Za-z0-9_.-]{1,64}$/.
 */
export interface LeaseStore {
  /**
   * One round trip: renews `member` (alive for ttlMs), acquires or renews each
   * of `want` that is free or already its own, releases each of `release` it
   * holds, and returns the live members and what it holds now.
   */
  sync(group: string, member: string, want: string[], release: string[], ttlMs: number): Promise<LeaseSync>;
  /** Takes `name` for `holder` if free; resolves to whoever holds it now (holder when it won).
   *  Claimed names are a namespace of their own (not the leases sync/leave manage):
   *  each lives in its own Redis Cluster slot, so per-call claims spread over shards. */
  claim(group: string, name: string, holder: string, ttlMs: number): Promise<string>;
  /** Gives a claimed `name` back when `holder` still holds it (a claim whose purpose failed:
   *  an auth attempt with a wrong password); resolves to whether it was released. */
  release(group: string, name: string, holder: string): Promise<boolean>;
  /** Leaves the group at once (graceful stop): membership and held leases are dropped. */
  leave(group: string, member: string, held: string[]): Promise<void>;
}

// ---------------------------------------------------------------- locations

export interface ContactInput {
  uri: string;
  /** Relative lifetime; 0 (or less) removes the binding (REGISTER expires=0). */
  expiresMs: number;
  /** q-value 0..1; default 1. */
  q?: number;
  callId: string;
  cseq: number;
  /** Source address the REGISTER came from (NAT), e.g. "sip:1.2.3.4:5060;transport=udp". */
  received?: string;
  path?: string[];
  userAgent?: string;
  /** RFC 5626 +sip.instance and reg-id: a new binding replaces older ones with the same pair. */
  instance?: string;
  regId?: number;
  /** Local socket the REGISTER arrived on. */
  socket?: string;
}

export interface Contact extends Omit<ContactInput, 'expiresMs'> {
  q: number;
  /** Absolute expiry in the caller's clock. */
  expiresAt: number;
  /** When this binding was last saved, in the caller's clock. */
  updatedAt: number;
}

/**
 * Registrar/usrloc bindings per AoR. Every call resolves to the live contacts
 * after the change (pruned of expired ones) (ordered by q desc, then most recently updated), so the
 * registrar can answer 200 OK without another read.
 */
export interface SaveOptions {
  /** registrar max_contacts: a new binding beyond this is refused. */
  maxContacts?: number;
}

/** Refusals keep the stored bindings unchanged (RFC 3261 10.3 step 7, max_contacts). */
export type SaveResult =
  | { ok: true; contacts: Contact[] }
  | { ok: false; reason: 'stale-cseq' | 'too-many-contacts'; contacts: Contact[] };

export interface LocationStore {
  /** Adds/updates (or with expiresMs <= 0 removes) one binding. A binding with
   *  the same URI and Call-ID and a CSeq not higher is refused as 'stale-cseq'. */
  save(aor: string, contact: ContactInput, opts?: SaveOptions): Promise<SaveResult>;
  remove(aor: string, contactUri: string): Promise<Contact[]>;
  lookup(aor: string): Promise<Contact[]>;
  /** Resolves to the number of bindings removed. */
  removeAll(aor: string): Promise<number>;
}

// ---------------------------------------------------------------- config

export interface ConfigDoc {
  kind: string;
  doc: string;
  version: number;
}

export type ConfigPutResult =
  | { ok: true; version: number }
  /** Rejected: version must be greater than the stored one. */
  | { ok: false; current: number };

/** Cluster config documents (dispatcher list, ACLs...) with monotonic versions. */
export interface ConfigStore {
  get(kind: string): Promise<ConfigDoc | null>;
  put(kind: string, doc: string, version: number): Promise<ConfigPutResult>;
  list(): Promise<ConfigDoc[]>;
}

// ---------------------------------------------------------------- bundle

export interface SharedState {
  readonly backend: 'memory' | 'redis';
  readonly cluster: string;
  /** A named counter family (e.g. "pike"), with its own window and flush timer. */
  counters(name: string, opts: CounterOptions): CounterStore;
  readonly tables: TableStore;
  readonly dialogs: DialogStore;
  readonly callLoad: CallLoadStore;
  readonly leases: LeaseStore;
  readonly locations: LocationStore;
  readonly config: ConfigStore;
  /** Current health. */
  status(): BackendStatus;
  /** Called on every up/down transition (not immediately on subscribe). */
  onStatus(cb: (s: BackendStatus) => void): Unsubscribe;
  /**
   * Redis Cluster only (undefined otherwise): the slot coverage, checked every
   * second. status() does not follow it: one shard down leaves the others serving.
   */
  readonly shards?: {
    get(): ShardHealth;
    /** called when the coverage changes */
    on(cb: (h: ShardHealth) => void): Unsubscribe;
  };
  /** Stops timers, closes counters and connections. */
  close(): Promise<void>;
}
