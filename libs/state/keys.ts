// Every Redis key libs/state uses is built here (and only here); keys.test.ts
// checks each builder. Layout: `<prefix>:{<cluster>}:<kind>:...`. The braces
// are a Redis Cluster hash tag: all keys of one SBC cluster share a slot, so
// multi-key Lua scripts stay legal. See docs/state.md for types and TTLs.

export interface KeySpace {
  readonly root: string;
  /** pike windows: sorted set, member = counted key, score = count; PX 2 windows */
  counterWindow(name: string, windowMs: number, windowId: number): string;
  /** htable entry: string with PX */
  tableEntry(table: string, key: string): string;
  /** prefix of tableEntry(table, *), used by the dump script to reach entries from index members */
  tableEntryPrefix(table: string): string;
  /** htable index: sorted set, member = entry key, score = expiry (server ms, +inf = none) */
  tableIndex(table: string): string;
  /** topos dialog record: string with PX */
  dialog(token: string): string;
  /** topos branch record: string with PX */
  dialogBranch(token: string, branchId: string): string;
  /** dispatcher call-load: sorted set, member = Call-ID, score = expiry (server ms) */
  callLoad(dest: string): string;
  /** usrloc bindings: hash, field = contact URI, value = "<updated ms>|<instance key>|<json>" */
  location(aor: string): string;
  /** usrloc expiries: sorted set, member = contact URI, score = expiry (server ms) */
  locationExpiry(aor: string): string;
  /** config documents: hash, field = kind, value = document */
  configDocs(): string;
  /** config versions: hash, field = kind, value = integer version */
  configVersions(): string;
}

export function keySpace(cluster: string, prefix = 'sbc'): KeySpace {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(cluster)) throw new Error(`cluster name ${JSON.stringify(cluster)} must match /^[A-Za-z0-9_.-]{1,64}$/ (it is the Redis Cluster hash tag)`);
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(prefix)) throw new Error(`key prefix ${JSON.stringify(prefix)} must match /^[A-Za-z0-9_.-]{1,32}$/`);
  const root = `${prefix}:{${cluster}}:`;
  return {
    root,
    counterWindow: (name, windowMs, windowId) => `${root}cnt:${name}:${windowMs}:${windowId}`,
    tableEntry: (table, key) => `${root}t:${table}:${key}`,
    tableEntryPrefix: (table) => `${root}t:${table}:`,
    tableIndex: (table) => `${root}ti:${table}`,
    dialog: (token) => `${root}dlg:${token}`,
    dialogBranch: (token, branchId) => `${root}dlgb:${token}:${branchId}`,
    callLoad: (dest) => `${root}load:${dest}`,
    location: (aor) => `${root}loc:${aor}`,
    locationExpiry: (aor) => `${root}locx:${aor}`,
    configDocs: () => `${root}cfg:docs`,
    configVersions: () => `${root}cfg:ver`,
  };
}
