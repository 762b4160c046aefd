// Issue 15 "done when", probing and shared destination states: three node
// processes on one Redis and one NATS, scripted gateways that count the
// OPTIONS they get, sipp for calls.
//  - exactly one node probes each gateway per interval, also after a node is killed
//  - a gateway that stops answering is inactive on every node within
//    ds_probing_threshold intervals (+ the probe's own timeout) + 100 ms, and active again after it answers
//  - dispatcher.set_state through one node holds on every node within 100 ms
//  - a relay timeout on node 1 moves calls off that gateway on nodes 2 and 3
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSilentGateway, startUas, runUac, type SbcNodeHandle, type SilentGateway, type UasHandle } from '../sipp/index.ts';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { admin, destinations, killNode, metric, startClusterNode, stateOf } from './cluster-kit.ts';
import { startOptionsGateway, type OptionsGateway } from './options-gateway.ts';

const INTERVAL = 1000;
const FR_TIMER = 300;
const THRESHOLD = 2;
/** timers fire late on a loaded 2-core machine; the bound below is the design's plus this */
const SCHEDULING_SLACK = 150;

const cluster = uniqueName('dsprobe').replace(/[^A-Za-z0-9_-]/g, '_');
const nodes: SbcNodeHandle[] = [];
const gws: OptionsGateway[] = [];
let silentGw: SilentGateway;
let uas: UasHandle;

beforeAll(async () => {
  for (let i = 0; i < 6; i++) gws.push(await startOptionsGateway());
  silentGw = await startSilentGateway();
  uas = await startUas({ scenario: 'uas' });
  const dispatcher = {
    algorithm: 8,
    ds_ping_interval: INTERVAL,
    ds_probing_mode: 3,
    ds_probing_threshold: THRESHOLD,
    ds_ping_fr_timer: FR_TIMER,
    ds_ping_latency_stats: true,
    mark_on_failure: 'i',
    failover_timeout: 500,
    sets: [
      // set 1: calls (not probed: no P flag); the silent gateway first
      { setid: 1, uri: `sip:${silentGw.host}:${silentGw.port}`, priority: 10 },
      { setid: 1, uri: `sip:${uas.host}:${uas.port}`, priority: 5 },
      // set 2: probed gateways (flag 8 = P)
      ...gws.map((g) => ({ setid: 2, uri: g.uri, flags: 8 })),
    ],
  };
  const start = (id: string) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl'), config: { dispatcher, routing: { calls_set: 1 } } });
  nodes.push(...(await Promise.all([start('n1'), start('n2'), start('n3')])));
  // every gateway probed at least twice: the partition has settled
  await waitUntil(() => gws.every((g) => g.probes().length >= 2), 10_000, 50);
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await Promise.all([...gws.map((g) => g.stop()), silentGw?.stop(), uas?.stop()]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Probes each gateway got during `ms`, and from how many nodes. */
async function probeWindow(ms: number): Promise<{ count: number; sources: Set<number> }[]> {
  for (const g of gws) g.reset();
  await sleep(ms);
  return gws.map((g) => ({ count: g.probes().length, sources: new Set(g.probes().map((p) => p.port)) }));
}

/**
 * Waits until `uri` of `setId` is in `state` on every live node, and returns
 * when the first and the last node applied it: each node's own `since` (the
 * time it changed the state; every node runs on this machine's clock), so
 * the figures do not depend on how fast this loaded machine polls them.
 */
async function onEveryNode(live: SbcNodeHandle[], setId: number, uri: string, state: string, timeoutMs: number): Promise<{ first: number; last: number }> {
  let since: number[] = [];
  await waitUntil(async () => {
    const ds = await Promise.all(live.map(async (n) => (await destinations(n, setId)).find((d) => d.uri === uri)));
    if (!ds.every((d) => d?.state === state)) return false;
    since = ds.map((d) => d?.since ?? 0);
    return true;
  }, timeoutMs, 10);
  return { first: Math.min(...since), last: Math.max(...since) };
}

describe('OPTIONS probing shared by three nodes', () => {
  it('probes each gateway from exactly one node, once per interval, and splits the gateways among the nodes', async () => {
    const w = await probeWindow(4 * INTERVAL);
    for (const g of w) {
      expect(g.sources.size).toBe(1);
      expect(g.count).toBeGreaterThanOrEqual(3);
      expect(g.count).toBeLessThanOrEqual(5);
    }
    const owned = await Promise.all(nodes.map((n) => metric(n, 'sbc_dispatcher_probe_owned', '')));
    expect(owned.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(gws.length);
    expect(await Promise.all(nodes.map((n) => metric(n, 'sbc_dispatcher_probe_members', '')))).toEqual([3, 3, 3]);
  });

  it('shows the probing node\'s latency figures on every node (shared every few seconds)', async () => {
    const counts = () => Promise.all(nodes.map(async (n) => (await destinations(n, 2)).find((d) => d.uri === gws[0].uri)?.latency?.count ?? 0));
    // The probing node counts each answer at once; the others get its figures
    // when they are shared, on a timer that runs in step with the probe
    // interval. Waiting for all three to show one count could therefore miss
    // every window (a share a few ms before each probe), so the check is that
    // every node reaches the figures the probing node had when the test began.
    const start = Math.max(...(await counts()));
    expect(start).toBeGreaterThan(0);
    await waitUntil(async () => (await counts()).every((c) => c >= start), 12_000, 20);
    // and as metrics, on every node
    for (const n of nodes) expect(await metric(n, 'sbc_dispatcher_probe_latency_ms', `uri="${gws[0].uri}",stat="avg"`)).toBeGreaterThanOrEqual(0);
    expect(await metric(nodes[0], 'sbc_dispatcher_destination_up', `uri="${gws[0].uri}"`)).toBe(1);
  });

  it('marks a gateway that stops answering inactive on every node, and active again once it answers', async () => {
    const gw = gws[1];
    const t0 = Date.now();
    gw.behave('silent');
    const down = await onEveryNode(nodes, 2, gw.uri, 'inactive', 10_000);
    expect(down.last - down.first).toBeLessThan(100);
    expect(down.last - t0).toBeLessThan(THRESHOLD * INTERVAL + FR_TIMER + 100 + SCHEDULING_SLACK);
    const t1 = Date.now();
    gw.behave('answer');
    const up = await onEveryNode(nodes, 2, gw.uri, 'active', 10_000);
    expect(up.last - up.first).toBeLessThan(100);
    expect(up.last - t1).toBeLessThan(INTERVAL + 100 + SCHEDULING_SLACK);
  });

  it('counts an answer outside ds_ping_reply_codes as a failure (trying first, below the threshold)', async () => {
    const gw = gws[2];
    gw.behave(503);
    await waitUntil(async () => (await Promise.all(nodes.map((n) => stateOf(n, 2, gw.uri)))).every((st) => st !== 'active'), 5000, 20);
    gw.behave('answer');
    await onEveryNode(nodes, 2, gw.uri, 'active', 5000);
  });

  it('applies dispatcher.set_state made through one node on every node within 100 ms', async () => {
    const uri = gws[3].uri;
    try {
      await admin(nodes[1], 'dispatcher.set_state', { state: 'd', group: 2, address: uri });
      const r = await onEveryNode(nodes, 2, uri, 'disabled', 2000);
      expect(r.last - r.first).toBeLessThan(100);
      // a disabled gateway is not probed
      const w = await probeWindow(2 * INTERVAL + 200);
      expect(w[3].count).toBe(0);
    } finally {
      await admin(nodes[2], 'dispatcher.set_state', { state: 'ap', group: 2, address: uri });
    }
    await onEveryNode(nodes, 2, uri, 'active', 2000);
  });

  it('moves calls off a gateway that timed out on node 1, on nodes 2 and 3 too', async () => {
    const silent = `sip:${silentGw.host}:${silentGw.port}`;
    const first = await runUac({ target: `${nodes[0].host}:${nodes[0].port}`, calls: 1, timeoutMs: 20_000 });
    expect(first.successful).toBe(1); // failed over to the sipp gateway after the silent one timed out
    expect(silentGw.received()).toBeGreaterThan(0);
    const marked = await onEveryNode(nodes, 1, silent, 'inactive', 2000);
    expect(marked.last - marked.first).toBeLessThan(100);
    const before = silentGw.received();
    const t0 = Date.now();
    for (const n of [nodes[1], nodes[2]]) {
      const r = await runUac({ target: `${n.host}:${n.port}`, calls: 2, timeoutMs: 20_000 });
      expect(r.successful).toBe(2);
    }
    expect(silentGw.received()).toBe(before);
    // the sipp calls took < 1 s each: no failover delay, the silent gateway was skipped
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(await metric(nodes[0], 'sbc_dispatcher_marks_total', `uri="${silent}"`)).toBe(1);
  });

  it('gives a killed node\'s gateways to the others within one interval', async () => {
    const victim = nodes[0];
    killNode(victim);
    const live = nodes.slice(1);
    await sleep(INTERVAL + 300);
    const w = await probeWindow(4 * INTERVAL);
    for (const g of w) {
      expect(g.sources.size).toBe(1);
      expect(g.sources.has(victim.port)).toBe(false);
      expect(g.count).toBeGreaterThanOrEqual(3);
      expect(g.count).toBeLessThanOrEqual(5);
    }
    const owned = await Promise.all(live.map((n) => metric(n, 'sbc_dispatcher_probe_owned', '')));
    expect(owned.reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).toBe(gws.length);
  });
});
