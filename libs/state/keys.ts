// Every Redis key libs/state uses is built here (and only here); keys.test.ts
// checks each builder. The layout decides how an SBC cluster's state spreads
// over Redis Cluster shards, so a new contract picks one of the three slot
// rules below for each key instead of writing key strings itself:
//
//   perEntity(kind, id)       `<prefix>:<cluster>:<kind>:{<id>}`: one slot per
//                             call / user / dialog token. Keys of the same
//                             entity (dialog + its branches, an AoR's hash +
//                             expiry set) share the tag, so one Lua script
//                             may touch them all. Spreads with traffic.
//   striped(kind, set, n)     `<prefix>:<cluster>:<kind>:{<cluster>:<set>:<n>}`,
//                             n = stripeOf(member): a set that must be listed
//                             (pike windows, htable dump) split in STRIPES
//                             parts, one slot each, whatever the kind (so a
//                             table entry and its index stripe share a slot);
//                             per-source data spreads, a listing is STRIPES
//                             one-slot scripts.
//   clusterWide(kind)         `<prefix>:<cluster>:<kind>:{<cluster>:<kind>}`: one
//                             slot for the kind, for small structures a script
//                             must see whole (call load compares gateways
//                             atomically; config documents and versions).
//
// The part in braces is the Redis Cluster hash tag (only it is hashed to a
// slot). An id containing a brace would end the tag early, so such ids get a
// tag made of their hash and are appended after it (see tagged()).
// docs/state.md has the full table with types and TTLs.

/** Parts of a striped set. Fixed (not configurable): every node must split a
 *  set the same way, or the same source would be counted in two places. */
export const STRIPES = 32;

export interface KeySpace {
  /** `<prefix>:<cluster>:`, the start of every key of this SBC cluster. */
  readonly root: string;
  /** Stripe (0..STRIPES-1) a striped set's member lives in. */
  stripeOf(member: string): number;
  /** pike windows: sorted set per stripe, member = counted key, score = count; PX 2 windows */
  counterWindow(name: string, windowMs: number, windowId: number, stripe: number): string;
  /** htable entry: string with PX, in the stripe of its key */
  tableEntry(table: string, key: string): string;
  /** prefix of tableEntry(table, k) for every k of `stripe`: the dump script reaches entries from index members */
  tableEntryPrefix(table: string, stripe: number): string;
  /** htable index of one stripe: sorted set, member = entry key, score = expiry (server ms, +inf = none) */
  tableIndex(table: string, stripe: number): string;
  /** topos dialog record: string with PX; per token */
  dialog(token: string): string;
  /** topos branch record: string with PX; same slot as its dialog */
  dialogBranch(token: string, branchId: string): string;
  /** dispatcher call-load: sorted set, member = Call-ID, score = expiry (server ms); one slot for all destinations */
  callLoad(dest: string): string;
  /** lease group members: sorted set, member = node id, score = expiry (server ms); one slot per group */
  leaseMembers(group: string): string;
  /** one lease of a group: string = holder, PX ttl; in its group's slot (one script renews many) */
  lease(group: string, name: string): string;
  /** a claimed name (leases.claim, e.g. the dispatcher's per-request pins): string = holder, PX ttl; per name, so pins spread with calls */
  claim(group: string, name: string): string;
  /** usrloc bindings: hash, field = contact URI, value = "<updated ms>|<json>"; per AoR */
  location(aor: string): string;
  /** usrloc expiries: sorted set, member = contact URI, score = expiry (server ms); same slot as location(aor) */
  locationExpiry(aor: string): string;
  /** config documents: hash, field = kind, value = document */
  configDocs(): string;
  /** config versions: hash, field = kind, value = integer version */
  configVersions(): string;
  /**
   * BullMQ prefix of one job queue (libs/state jobs.ts): BullMQ adds
   * `:<queue>:<suffix>`, so every key of the queue shares the tag {<queue>}
   * (its scripts touch one slot) and each queue may sit on its own shard.
   */
  jobQueue(queue: string): string;
  /** The three slot rules, for contracts added later (see the comment at the top). */
  perEntity(kind: string, id: string, rest?: string): string;
  striped(kind: string, set: string, stripe: number, rest?: string): string;
  clusterWide(kind: string, rest?: string): string;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function keySpace(cluster: string, prefix = 'sbc'): KeySpace {
  if (!NAME.test(cluster)) throw new Error(`cluster name ${JSON.stringify(cluster)} must match ${NAME} (it is part of every Redis key and hash tag)`);
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(prefix)) throw new Error(`key prefix ${JSON.stringify(prefix)} must match /^[A-Za-z0-9_.-]{1,32}$/`);
  const root = `${prefix}:${cluster}:`;
  const tail = (rest?: string) => (rest === undefined ? '' : `:${rest}`);
  const kindOk = (kind: string) => { if (!NAME.test(kind)) throw new Error(`key kind ${JSON.stringify(kind)} must match ${NAME}`); };
  const perEntity = (kind: string, id: string, rest?: string) => { kindOk(kind); return `${root}${kind}:${tagged(id)}${tail(rest)}`; };
  const striped = (kind: string, set: string, stripe: number, rest?: string) => {
    kindOk(kind);
    if (set.length === 0 || /[{}]/.test(set)) throw new Error(`striped set name ${JSON.stringify(set)} must be non-empty and brace-free`);
    if (!Number.isInteger(stripe) || stripe < 0 || stripe >= STRIPES) throw new Error(`stripe ${stripe} out of 0..${STRIPES - 1}`);
    return `${root}${kind}:{${cluster}:${set}:${stripe}}${tail(rest)}`;
  };
  const clusterWide = (kind: string, rest?: string) => { kindOk(kind); return `${root}${kind}:{${cluster}:${kind}}${tail(rest)}`; };
  return {
    root,
    stripeOf,
    counterWindow: (name, windowMs, windowId, stripe) => striped('cnt', name, stripe, `${windowMs}:${windowId}`),
    tableEntry: (table, key) => `${striped('t', table, stripeOf(key))}:${key}`,
    tableEntryPrefix: (table, stripe) => `${striped('t', table, stripe)}:`,
    tableIndex: (table, stripe) => striped('ti', table, stripe),
    dialog: (token) => perEntity('dlg', token),
    dialogBranch: (token, branchId) => perEntity('dlgb', token, branchId),
    callLoad: (dest) => clusterWide('load', dest),
    leaseMembers: (group) => perEntity('lease', group, 'm'),
    lease: (group, name) => perEntity('lease', group, `n:${name}`),
    claim: (group, name) => perEntity('claim', `${group}:${name}`),
    location: (aor) => perEntity('loc', aor),
    locationExpiry: (aor) => perEntity('locx', aor),
    configDocs: () => clusterWide('cfg', 'docs'),
    configVersions: () => clusterWide('cfg', 'ver'),
    jobQueue: (queue) => perEntity('q', queue),
    perEntity,
    striped,
    clusterWide,
  };
}

/** Which stripe a member belongs to: FNV-1a (32 bit) of its UTF-16 units, mod STRIPES. */
export function stripeOf(member: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < member.length; i++) h = Math.imul(h ^ member.charCodeAt(i), 0x01000193);
  return (h >>> 0) % STRIPES;
}

/**
 * `{id}`, or for an id containing a brace (which would cut the tag short, or
 * leave it empty so the whole key is hashed) `{#<hash>}:<id>`: the tag stays
 * the same for every key of the entity and the key still names the id.
 */
export function tagged(id: string): string {
  if (id.length > 0 && id.indexOf('{') < 0 && id.indexOf('}') < 0) return `{${id}}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return `{#${(h >>> 0).toString(16).padStart(8, '0')}}:${id}`;
}
