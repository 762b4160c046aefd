// Partition and state sharing among in-process "nodes" on the memory bus and
// memory state (one hub, one MemoryData, a fake clock): exactly one node
// probes each destination; a dead node's share moves; a change made on one
// node reaches the others; a node that missed the news converges from the store.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMemoryBus, MemoryHub, type Bus } from '#libs/bus';
import { createMemoryData, createMemoryState, type SharedState } from '#libs/state';
import { DestinationSync, DS_STATE_TABLE } from './cluster-sync.ts';
import { ownerOf, ProbePartition } from './partition.ts';
import { probeName } from './prober.ts';
import { DispatcherState } from './state.ts';
import { setsFromList } from './test-helpers.ts';

const quiet = pino({ level: 'silent' });
const LIST = Array.from({ length: 12 }, (_, i) => `1 sip:10.0.0.${i + 1}:5060 8`).join('\n');
const names = setsFromList(LIST)[0].destinations.map((d) => probeName(1, d.uri));
const flushBus = () => new Promise((r) => setTimeout(r, 0));

describe('ownerOf (rendezvous hashing)', () => {
  it('spreads names over members and moves only the dead member\'s share', () => {
    const three = ['n1', 'n2', 'n3'];
    const before = names.map((n) => ownerOf(n, three));
    expect(new Set(before).size).toBe(3);
    const after = names.map((n) => ownerOf(n, ['n1', 'n3']));
    names.forEach((_, i) => { if (before[i] !== 'n2') expect(after[i]).toBe(before[i]); });
  });
});

describe('ProbePartition on one shared store', () => {
  it('gives every destination to exactly one live node, and a dead node\'s share to the others', async () => {
    let t = 1_000_000;
    const data = createMemoryData();
    const nodes = ['n1', 'n2', 'n3'].map((id) => {
      const state = createMemoryState({ data, now: () => t });
      return new ProbePartition({ leases: state.leases, member: id, names: () => names, tickMs: 100, ttlMs: 300, logger: quiet, now: () => t });
    });
    const round = async (ps: ProbePartition[]) => { for (const p of ps) await p.tick(); };
    const owners = (ps: ProbePartition[]) => names.map((n) => ps.filter((p) => p.owns(n)).length);
    // converges in a few ticks from a cold start (each learns the members, then claims its share)
    for (let i = 0; i < 3; i++) { await round(nodes); t += 100; }
    expect(owners(nodes)).toEqual(names.map(() => 1));
    expect(nodes.map((p) => p.ownedCount()).every((c) => c > 0)).toBe(true);
    // n2 dies: its leases expire after ttlMs, then n1 and n3 take them
    const alive = [nodes[0], nodes[2]];
    for (let i = 0; i < 5; i++) { await round(alive); t += 100; expect(Math.max(...owners(nodes))).toBe(1); }
    expect(owners(alive)).toEqual(names.map(() => 1));
    expect(nodes[0].liveMembers()).toEqual(['n1', 'n3']);
  });

  it('while Redis is away, each node probes its rendezvous share of the members it last saw', async () => {
    const data = createMemoryData();
    const real = createMemoryState({ data }).leases;
    let down = false;
    const leases = {
      ...real,
      sync: (...a: Parameters<typeof real.sync>) => (down ? Promise.reject(new Error('STATE_UNAVAILABLE')) : real.sync(...a)),
    };
    const [a, b] = ['n1', 'n2'].map((id) => new ProbePartition({ leases, member: id, names: () => names, tickMs: 100, ttlMs: 60_000, logger: quiet }));
    for (let i = 0; i < 3; i++) { await a.tick(); await b.tick(); }
    down = true;
    await a.tick(); await b.tick();
    for (const n of names) expect([a, b].filter((p) => p.owns(n)).length, n).toBe(1);
    expect(a.ownedCount()).toBe(names.filter((n) => ownerOf(n, ['n1', 'n2']) === 'n1').length);
  });

  it('hands its leases back on a graceful stop', async () => {
    const data = createMemoryData();
    const [a, b] = ['n1', 'n2'].map((id) => new ProbePartition({ leases: createMemoryState({ data }).leases, member: id, names: () => names, tickMs: 100, ttlMs: 60_000, logger: quiet }));
    await a.tick(); await b.tick(); await a.tick(); await b.tick();
    await a.stop();
    await b.tick(); await b.tick();
    expect(b.ownedCount()).toBe(names.length);
  });
});

describe('DestinationSync', () => {
  const start = async (hub: MemoryHub, data: ReturnType<typeof createMemoryData>, id: string) => {
    const state: SharedState = createMemoryState({ data });
    const bus: Bus = createMemoryBus({ cluster: 'c', node: id, logger: quiet, registry: new Registry(), hub });
    const ds = new DispatcherState(setsFromList(LIST));
    const sync = await DestinationSync.start({ ds, state, bus, logger: quiet, resyncIntervalMs: 0 });
    return { ds, state, bus, sync };
  };

  it('applies a change made on one node on the others, and stores it for late joiners', async () => {
    const hub = new MemoryHub();
    const data = createMemoryData();
    const [n1, n2] = await Promise.all([start(hub, data, 'n1'), start(hub, data, 'n2')]);
    n1.ds.setState(1, 'sip:10.0.0.3:5060', 'inactive', { probe: true });
    n1.ds.applyProbe(1, 'sip:10.0.0.4:5060', { ok: true, ms: 12, timedOut: false }, { mode: 1, thresholds: { probingThreshold: 1, inactiveThreshold: 1 }, latencyStats: true, alpha: 0.1 });
    await flushBus();
    expect(n2.ds.status(1, 'sip:10.0.0.3:5060')).toMatchObject({ state: { kind: 'inactive' }, probe: true });
    expect(n2.ds.list()[0].destinations[3].latency).toMatchObject({ count: 1, avg: 12 });
    await flushBus();
    expect(await n1.state.tables.count(DS_STATE_TABLE)).toBe(2);
    const n3 = await start(hub, data, 'n3');
    expect(n3.ds.status(1, 'sip:10.0.0.3:5060')?.state.kind).toBe('inactive');
    expect(n3.ds.list()[0].destinations[3].latency?.avg).toBe(12);
    for (const n of [n1, n2, n3]) n.sync.close();
  });

  it('a node that missed the news converges from the store on resync; older news is ignored', async () => {
    const data = createMemoryData();
    const n1 = await start(new MemoryHub(), data, 'n1');
    const n2 = await start(new MemoryHub(), data, 'n2'); // another hub: hears nothing from n1
    n1.ds.setState(1, 'sip:10.0.0.5:5060', 'disabled');
    await flushBus();
    expect(n2.ds.status(1, 'sip:10.0.0.5:5060')?.state.kind).toBe('active');
    await n2.sync.resync('periodic');
    expect(n2.ds.status(1, 'sip:10.0.0.5:5060')?.state.kind).toBe('disabled');
    // a stale message (version 1) does not undo it
    n2.bus.publish({ kind: 'gateway' }, { type: 'gateway.state', payload: { set: 1, uri: 'sip:10.0.0.5:5060', state: 'active', version: 1 } });
    await flushBus();
    expect(n2.ds.status(1, 'sip:10.0.0.5:5060')?.state.kind).toBe('disabled');
    n1.sync.close(); n2.sync.close();
  });

  it('deletes the stored state of a destination gone from the sets once it is a day old, and keeps the rest', async () => {
    let t = 1_000_000_000;
    const data = createMemoryData();
    const node = async (id: string, list: string) => {
      const state: SharedState = createMemoryState({ data, now: () => t });
      const bus: Bus = createMemoryBus({ cluster: 'c', node: id, logger: quiet, registry: new Registry(), hub: new MemoryHub() });
      const ds = new DispatcherState(setsFromList(list));
      return { ds, state, sync: await DestinationSync.start({ ds, state, bus, logger: quiet, resyncIntervalMs: 0, now: () => t }) };
    };
    const n1 = await node('n1', LIST);
    n1.ds.setState(1, 'sip:10.0.0.5:5060', 'disabled');
    n1.ds.setState(1, 'sip:10.0.0.6:5060', 'disabled');
    await flushBus();
    const stored = async () => (await n1.state.tables.dump(DS_STATE_TABLE)).map((e) => e.key).sort();
    expect(await stored()).toEqual(['1 sip:10.0.0.5:5060', '1 sip:10.0.0.6:5060']);
    n1.sync.close();
    // the operator removed 10.0.0.5 from the list; a node with the new list resyncs
    const n2 = await node('n2', LIST.split('\n').filter((l) => !l.includes('10.0.0.5:')).join('\n'));
    t += 3600_000;
    await n2.sync.resync('periodic');
    expect(await stored()).toHaveLength(2); // an hour old: a node with the old list may still use it
    expect(n2.ds.status(1, 'sip:10.0.0.6:5060')?.state.kind).toBe('disabled');
    t += 24 * 3600_000;
    await n2.sync.resync('periodic');
    expect(await stored()).toEqual(['1 sip:10.0.0.6:5060']); // a record of a listed destination stays, however old
    expect(n2.ds.status(1, 'sip:10.0.0.6:5060')?.state.kind).toBe('disabled');
    n2.sync.close();
  });
});
