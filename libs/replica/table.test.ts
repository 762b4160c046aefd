// ReplicatedTable logic on the memory backends (fast, deterministic clock
// where it matters). The same mechanism against real Redis + NATS is in
// cluster.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus, MemoryHub } from '#libs/bus';
import { createMemoryData, createMemoryState, type BackendStatus, type MemoryData, type SharedState, type TableStore } from '#libs/state';
import { waitUntil } from '../../test/harness/index.ts';
import { ReplicaError } from './errors.ts';
import { ReplicatedTable, type ReplicatedTableOptions, type TableChange } from './table.ts';
import { gate, metricValue, newRegistry, quietLogger } from './test-support.ts';

const CLUSTER = 'unit';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface World { data: MemoryData; hub: MemoryHub; now: () => number }
function world(now: () => number = Date.now): World {
  return { data: createMemoryData(), hub: new MemoryHub(), now };
}

async function node(w: World, id: string, extra: Partial<ReplicatedTableOptions> = {}) {
  const logger = quietLogger();
  const registry = newRegistry();
  const state = createMemoryState({ data: w.data, now: w.now, cluster: CLUSTER });
  const bus = createMemoryBus({ cluster: CLUSTER, node: id, hub: w.hub, logger, registry, now: w.now });
  const table = await ReplicatedTable.start({ name: 'ipban', state, bus, logger, registry, resyncIntervalMs: 0, now: w.now, ...extra });
  closers.push(async () => { await table.close(); await bus.close(); await state.close(); });
  return { state, bus, table, registry };
}

const stale = (registry: ReturnType<typeof newRegistry>) => metricValue(registry, 'sbc_replica_stale_events_total', { table: 'ipban' });

describe('ReplicatedTable: replication', () => {
  it('a set on one node reaches the others; a node started later loads it from the store', async () => {
    const w = world();
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    await a.table.set('1.2.3.4', 'flood', 60_000);
    expect(a.table.get('1.2.3.4')).toBe('flood'); // local at once
    await waitUntil(() => b.table.get('1.2.3.4') === 'flood');
    const c = await node(w, 'c');
    expect(c.table.get('1.2.3.4')).toBe('flood');
    expect(c.table.entry('1.2.3.4')?.expiresAt).toBeGreaterThan(Date.now());
  });

  it('delete propagates', async () => {
    const w = world();
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    await a.table.set('k', 'v');
    await waitUntil(() => b.table.has('k'));
    expect(await b.table.delete('k')).toBe(true);
    await waitUntil(() => !a.table.has('k'));
    expect(await a.state.tables.get('ipban', 'k')).toBeNull();
    expect(a.table.size).toBe(0);
  });

  it('honours expiry locally, without the store', async () => {
    let t = 1_000_000;
    const w = world(() => t);
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    await a.table.set('k', 'v', 500);
    await waitUntil(() => b.table.has('k'));
    t += 499;
    expect(b.table.get('k')).toBe('v');
    t += 1;
    expect(b.table.get('k')).toBeUndefined();
    expect(b.table.entries()).toEqual([]);
    expect(b.table.size).toBe(0);
  });

  it('the sweeper drops expired entries from the count and forgets tombstones after tombstoneTtlMs', async () => {
    let t = 1_000_000;
    const w = world(() => t);
    const a = await node(w, 'a', { tombstoneTtlMs: 20 });
    await a.table.set('short', 'v', 500);
    await a.table.set('gone', 'v');
    await a.table.delete('gone');
    expect(a.table.size).toBe(1);
    t += 1000; // 'short' expired, the tombstone of 'gone' is past its 20 ms
    await waitUntil(async () => a.table.size === 0 && (await metricValue(a.registry, 'sbc_replica_entries', { table: 'ipban' })) === 0);
    // Forgotten tombstone: an old-version event is accepted again (the bound documented in docs/cluster.md).
    a.bus.publish({ kind: 'table', name: 'ipban' }, { type: 'table.set', payload: { table: 'ipban', key: 'gone', value: 'old', ttlMs: null, version: 1 } });
    await waitUntil(() => a.table.get('gone') === 'old');
  });

  it('ignores stale events: a late set cannot resurrect a deleted entry', async () => {
    const w = world();
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    await a.table.set('k', 'v');
    await waitUntil(() => b.table.has('k'));
    await a.table.delete('k');
    await waitUntil(() => !b.table.has('k'));
    // A stray / late copy of an older write arrives from a third node.
    const late = createMemoryBus({ cluster: CLUSTER, node: 'late', hub: w.hub, logger: quietLogger(), registry: newRegistry() });
    late.publish({ kind: 'table', name: 'ipban' }, { type: 'table.set', payload: { table: 'ipban', key: 'k', value: 'zombie', ttlMs: null, version: 1 } }); // older than any real clock's version
    await waitUntil(async () => (await stale(b.registry)) === 1);
    expect(b.table.get('k')).toBeUndefined();
    expect(a.table.get('k')).toBeUndefined();
    // ...while a newer write still goes through.
    late.publish({ kind: 'table', name: 'ipban' }, { type: 'table.set', payload: { table: 'ipban', key: 'k', value: 'new', ttlMs: null, version: Date.now() + 10_000 } });
    await waitUntil(() => b.table.get('k') === 'new');
  });

  it("its own echo is not counted as stale, and equal versions resolve by node id on every node", async () => {
    const w = world();
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    await a.table.set('k', 'v');
    await waitUntil(() => b.table.has('k'));
    await a.bus.flush();
    expect(await stale(a.registry)).toBe(0);
    const v = Date.now() + 60_000;
    const x = createMemoryBus({ cluster: CLUSTER, node: 'x', hub: w.hub, logger: quietLogger(), registry: newRegistry() });
    const y = createMemoryBus({ cluster: CLUSTER, node: 'y', hub: w.hub, logger: quietLogger(), registry: newRegistry() });
    y.publish({ kind: 'table', name: 'ipban' }, { type: 'table.set', payload: { table: 'ipban', key: 't', value: 'from-y', ttlMs: null, version: v } });
    x.publish({ kind: 'table', name: 'ipban' }, { type: 'table.set', payload: { table: 'ipban', key: 't', value: 'from-x', ttlMs: null, version: v } });
    await waitUntil(async () => (await stale(a.registry)) === 1 && (await stale(b.registry)) === 1);
    expect([a.table.get('t'), b.table.get('t')]).toEqual(['from-y', 'from-y']);
  });

  it('the ban channel: publishes on sbc.<cluster>.ban and skips other tables on it', async () => {
    const w = world();
    const a = await node(w, 'a', { channel: 'ban' });
    const b = await node(w, 'b', { channel: 'ban' });
    const subjects: string[] = [];
    b.bus.subscribe({ kind: 'ban' }, (m) => { subjects.push(m.subject); });
    a.bus.publish({ kind: 'ban' }, { type: 'table.set', payload: { table: 'other', key: 'k', value: 'x', ttlMs: null, version: Date.now() } });
    await a.table.set('k', 'v');
    await waitUntil(() => b.table.has('k'));
    expect(b.table.get('k')).toBe('v');
    expect(subjects).toEqual([`sbc.${CLUSTER}.ban`, `sbc.${CLUSTER}.ban`]);
  });

  it('reports changes with their source', async () => {
    const w = world();
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    const seen: TableChange[] = [];
    b.table.onChange((c) => seen.push(c));
    await a.table.set('k', 'v');
    await waitUntil(() => seen.length === 1);
    await b.table.delete('k');
    await a.state.tables.set('ipban', 'direct', 'd');
    await b.table.resync();
    expect(seen).toEqual([
      { type: 'set', key: 'k', value: 'v', expiresAt: null, source: 'bus' },
      { type: 'delete', key: 'k', source: 'local' },
      { type: 'set', key: 'direct', value: 'd', expiresAt: null, source: 'resync' },
    ]);
  });
});

describe('ReplicatedTable: convergence from the store', () => {
  it('resync picks up writes and deletes that never came over the bus', async () => {
    const w = world();
    const a = await node(w, 'a');
    await a.table.set('gone', 'v');
    await a.state.tables.delete('ipban', 'gone');
    await a.state.tables.set('ipban', 'new', 'n', 60_000);
    await a.table.resync();
    expect(a.table.get('gone')).toBeUndefined();
    expect(a.table.get('new')).toBe('n');
    expect(await metricValue(a.registry, 'sbc_replica_resyncs_total', { table: 'ipban', reason: 'manual' })).toBe(1);
    expect(await metricValue(a.registry, 'sbc_replica_entries', { table: 'ipban' })).toBe(1);
  });

  it('a tombstone made by resync still rejects a late copy of the old set', async () => {
    const w = world();
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    const version = Date.now() + 5_000;
    a.bus.publish({ kind: 'table', name: 'ipban' }, { type: 'table.set', payload: { table: 'ipban', key: 'k', value: 'v', ttlMs: null, version } });
    await waitUntil(() => b.table.has('k'));
    await b.table.resync(); // store has no k: removed
    expect(b.table.has('k')).toBe(false);
    a.bus.publish({ kind: 'table', name: 'ipban' }, { type: 'table.set', payload: { table: 'ipban', key: 'k', value: 'v', ttlMs: null, version } });
    await waitUntil(async () => (await stale(b.registry)) === 1);
    expect(b.table.has('k')).toBe(false);
  });

  it('an event that arrives while a dump is in flight wins over the (older) dump', async () => {
    const w = world();
    const a = await node(w, 'a');
    const store = createMemoryState({ data: w.data, cluster: CLUSTER });
    closers.push(() => store.close());
    let hold: ReturnType<typeof gate> | undefined;
    // The dump reads the store at once, then is held open while the event lands.
    const tables: TableStore = {
      ...store.tables,
      dump: async (table, prefix) => {
        const snapshot = await store.tables.dump(table, prefix);
        if (hold) await hold.promise;
        return snapshot;
      },
    };
    const b = await node(w, 'b', { state: { tables, onStatus: store.onStatus } });
    hold = gate();
    const pass = b.table.resync();
    await a.table.set('k', 'during');
    await waitUntil(() => b.table.get('k') === 'during');
    hold.open();
    await pass;
    expect(b.table.get('k')).toBe('during');
  });

  it('re-syncs after a store reconnect and on the timer', async () => {
    const w = world();
    const store = createMemoryState({ data: w.data, cluster: CLUSTER });
    closers.push(() => store.close());
    let announce: ((s: BackendStatus) => void) | undefined;
    const state: Pick<SharedState, 'tables' | 'onStatus'> = {
      tables: store.tables,
      onStatus: (cb) => { announce = cb; return () => { announce = undefined; }; },
    };
    const a = await node(w, 'a', { state });
    await store.tables.set('ipban', 'k1', 'v');
    announce!({ up: true, reconnect: true });
    await waitUntil(() => a.table.has('k1'));
    expect(await metricValue(a.registry, 'sbc_replica_resyncs_total', { table: 'ipban', reason: 'store_reconnect' })).toBe(1);

    const b = await node(w, 'b', { resyncIntervalMs: 20 });
    await store.tables.set('ipban', 'k2', 'v');
    await waitUntil(() => b.table.has('k2'));
    expect(await metricValue(b.registry, 'sbc_replica_resyncs_total', { table: 'ipban', reason: 'periodic' })).toBeGreaterThanOrEqual(1);
  });

  it('triggers during a pass coalesce into one more pass', async () => {
    const w = world();
    let dumps = 0;
    const store = createMemoryState({ data: w.data, cluster: CLUSTER });
    closers.push(() => store.close());
    let hold: ReturnType<typeof gate> | undefined;
    const tables: TableStore = { ...store.tables, dump: async (t, p) => { dumps++; if (hold) await hold.promise; return store.tables.dump(t, p); } };
    const a = await node(w, 'a', { state: { tables, onStatus: store.onStatus } });
    hold = gate();
    const first = a.table.resync();
    const second = a.table.resync();
    const third = a.table.resync();
    hold.open();
    await Promise.all([first, second, third]);
    expect(dumps).toBe(1 + 2); // start + the held pass + one follow-up
  });
});

describe('ReplicatedTable: failures', () => {
  const failing = (store: SharedState): TableStore => ({
    ...store.tables,
    set: async () => { throw new Error('redis down'); },
    dump: async () => { throw new Error('redis down'); },
  });

  it('set() rejects and changes nothing when the store write fails', async () => {
    const w = world();
    const store = createMemoryState({ data: w.data, cluster: CLUSTER });
    closers.push(() => store.close());
    let broken = false;
    const tables: TableStore = { ...store.tables, set: (...args) => (broken ? failing(store).set(...args) : store.tables.set(...args)) };
    const a = await node(w, 'a', { state: { tables, onStatus: store.onStatus } });
    const b = await node(w, 'b');
    broken = true;
    await expect(a.table.set('k', 'v')).rejects.toThrow('redis down');
    expect(a.table.has('k')).toBe(false);
    broken = false;
    await a.table.set('after', 'x');
    await waitUntil(() => b.table.has('after'));
    expect(b.table.has('k')).toBe(false);
  });

  it('start() rejects with REPLICA_LOAD_FAILED when the store cannot be read', async () => {
    const w = world();
    const store = createMemoryState({ data: w.data, cluster: CLUSTER });
    closers.push(() => store.close());
    const err = await node(w, 'a', { state: { tables: failing(store), onStatus: store.onStatus } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaError);
    expect((err as ReplicaError).code).toBe('REPLICA_LOAD_FAILED');
  });

  it('a failed resync keeps serving the last known entries and is counted', async () => {
    const w = world();
    const store = createMemoryState({ data: w.data, cluster: CLUSTER });
    closers.push(() => store.close());
    let broken = false;
    const tables: TableStore = { ...store.tables, dump: (...args) => (broken ? failing(store).dump(...args) : store.tables.dump(...args)) };
    const a = await node(w, 'a', { state: { tables, onStatus: store.onStatus } });
    await a.table.set('k', 'v');
    broken = true;
    await expect(a.table.resync()).rejects.toThrow('redis down');
    expect(a.table.get('k')).toBe('v');
    expect(await metricValue(a.registry, 'sbc_replica_resync_failures_total', { table: 'ipban', reason: 'manual' })).toBe(1);
  });

  it('rejects writes after close(), and names that the bus cannot carry', async () => {
    const w = world();
    const a = await node(w, 'a');
    await a.table.close();
    await expect(a.table.set('k', 'v')).rejects.toMatchObject({ code: 'REPLICA_CLOSED' });
    await expect(node(w, 'b', { name: 'a.b' })).rejects.toThrow(/not usable in a NATS subject/);
  });
});
