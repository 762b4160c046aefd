// ClusterConfig logic on the memory backends; cluster.test.ts runs it on Redis + NATS.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBus, MemoryHub } from '#libs/bus';
import { createMemoryData, createMemoryState, type ConfigStore, type MemoryData } from '#libs/state';
import { waitUntil } from '../../test/harness/index.ts';
import { ClusterConfig, type ClusterConfigOptions } from './config.ts';
import { metricValue, newRegistry, quietLogger } from './test-support.ts';

const CLUSTER = 'unit';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface World { data: MemoryData; hub: MemoryHub }
const world = (): World => ({ data: createMemoryData(), hub: new MemoryHub() });

type Change = [string, string, number];
async function node(w: World, id: string, extra: Partial<ClusterConfigOptions> = {}) {
  const logger = quietLogger();
  const registry = newRegistry();
  const state = createMemoryState({ data: w.data, cluster: CLUSTER });
  const bus = createMemoryBus({ cluster: CLUSTER, node: id, hub: w.hub, logger, registry });
  const config = await ClusterConfig.start({ state, bus, logger, registry, resyncIntervalMs: 0, ...extra });
  const changes: Change[] = [];
  config.onChange((kind, doc, version) => changes.push([kind, doc, version]));
  closers.push(async () => { await config.close(); await bus.close(); await state.close(); });
  return { state, bus, config, changes, registry };
}

describe('ClusterConfig', () => {
  it('apply on one node reaches every node with the same version; later nodes load it', async () => {
    const w = world();
    const [a, b, c] = [await node(w, 'a'), await node(w, 'b'), await node(w, 'c')];
    const stored = await b.config.apply('dispatcher', '1 sip:gw1');
    expect(stored).toEqual({ kind: 'dispatcher', doc: '1 sip:gw1', version: 1 });
    expect(b.changes).toEqual([['dispatcher', '1 sip:gw1', 1]]); // local listeners before apply() resolves
    await waitUntil(() => a.changes.length === 1 && c.changes.length === 1);
    expect(a.changes).toEqual([['dispatcher', '1 sip:gw1', 1]]);
    await a.config.apply('dispatcher', '1 sip:gw2');
    await waitUntil(() => b.changes.length === 2 && c.changes.length === 2);
    expect(c.changes[1]).toEqual(['dispatcher', '1 sip:gw2', 2]);
    await b.bus.flush();
    expect(b.changes).toHaveLength(2); // own echoes are not re-applied
    const d = await node(w, 'd');
    expect(d.config.get('dispatcher')).toEqual({ kind: 'dispatcher', doc: '1 sip:gw2', version: 2 });
    const replayed: Change[] = [];
    d.config.onChange((k, doc, v) => replayed.push([k, doc, v]), { replay: true });
    expect(replayed).toEqual([['dispatcher', '1 sip:gw2', 2]]);
  });

  it('ignores older and equal versions', async () => {
    const w = world();
    const a = await node(w, 'a');
    await a.config.apply('acl', 'v1');
    await a.config.apply('acl', 'v2');
    a.bus.publish({ kind: 'config', name: 'acl' }, { type: 'config.changed', payload: { kind: 'acl', version: 1, doc: 'old' } });
    a.bus.publish({ kind: 'config', name: 'acl' }, { type: 'config.changed', payload: { kind: 'acl', version: 2, doc: 'other' } });
    await a.bus.flush();
    expect(a.config.get('acl')?.doc).toBe('v2');
    expect(a.changes.map((c) => c[2])).toEqual([1, 2]);
  });

  it('two nodes racing for the same version: the store picks one, the loser goes after it', async () => {
    const w = world();
    const a = await node(w, 'a');
    const b = await node(w, 'b');
    const [ra, rb] = await Promise.all([a.config.apply('acl', 'from-a'), b.config.apply('acl', 'from-b')]);
    expect([ra.version, rb.version].sort()).toEqual([1, 2]);
    const winner = ra.version === 2 ? 'from-a' : 'from-b';
    await waitUntil(() => a.config.get('acl')?.version === 2 && b.config.get('acl')?.version === 2);
    expect([a.config.get('acl')?.doc, b.config.get('acl')?.doc]).toEqual([winner, winner]);
  });

  it('large documents travel by reference: receivers read the store', async () => {
    const w = world();
    const a = await node(w, 'a', { maxInlineDocBytes: 10 });
    const b = await node(w, 'b');
    const payloads: Array<string | undefined> = [];
    b.bus.subscribe({ kind: 'config' }, (m) => { payloads.push(m.payload.doc); });
    const big = 'x'.repeat(100);
    await a.config.apply('dispatcher', big);
    await waitUntil(() => b.config.get('dispatcher')?.doc === big);
    expect(payloads).toEqual([undefined]);
    expect(b.changes).toEqual([['dispatcher', big, 1]]);
  });

  it('a missed change converges on resync, counted as table="config"', async () => {
    const w = world();
    const a = await node(w, 'a');
    await a.state.config.put('acl', 'written elsewhere', 7);
    await a.config.resync();
    expect(a.changes).toEqual([['acl', 'written elsewhere', 7]]);
    expect(await metricValue(a.registry, 'sbc_replica_resyncs_total', { table: 'config', reason: 'manual' })).toBe(1);
  });

  it('gives up with REPLICA_CONFIG_CONFLICT when it keeps losing the version race', async () => {
    const w = world();
    const state = createMemoryState({ data: w.data, cluster: CLUSTER });
    closers.push(() => state.close());
    const config: ConfigStore = { ...state.config, put: async () => ({ ok: false, current: 99 }) };
    const a = await node(w, 'a', { state: { config, onStatus: state.onStatus } });
    await expect(a.config.apply('acl', 'x')).rejects.toMatchObject({ code: 'REPLICA_CONFIG_CONFLICT' });
    await expect(a.config.apply('a.b', 'x')).rejects.toThrow(/not usable in a NATS subject/);
  });

  it('a throwing listener does not stop the others', async () => {
    const w = world();
    const a = await node(w, 'a');
    a.config.onChange(() => { throw new Error('bad listener'); });
    const after: number[] = [];
    a.config.onChange((_k, _d, v) => after.push(v));
    await a.config.apply('acl', 'x');
    expect(after).toEqual([1]);
  });
});
