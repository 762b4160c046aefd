// Cluster rule 8 through running nodes: two node processes keep their state
// in a 3-shard Redis Cluster (3 masters, 1 replica each; state.redis.mode
// cluster) and exchange news over a 3-server NATS cluster (bus.servers lists
// all three). sipp calls go through both nodes with topos (dialogs in Redis)
// and round-robin dispatching (per-request pins in Redis). Checked: the calls'
// keys land on every shard; a master killed under calls is taken over by its
// replica and the nodes carry on (calls after the takeover all succeed); a
// NATS server killed under calls costs no call and cluster news still flows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { startNatsCluster, type NatsClusterHandle } from '../harness/nats-cluster.ts';
import { startRedisCluster, type RedisClusterHandle } from '../harness/redis-cluster.ts';
import { runUac, startSbcNode, startUas, type SbcNodeHandle, type UasHandle, type UacResult } from '../sipp/index.ts';
import { admin } from './cluster-kit.ts';

let rc: RedisClusterHandle;
let nc: NatsClusterHandle;
const gws: UasHandle[] = [];
const nodes: SbcNodeHandle[] = [];
const cluster = uniqueName('sharded').replace(/[^A-Za-z0-9_-]/g, '_');

beforeAll(async () => {
  [rc, nc] = await Promise.all([startRedisCluster({ masters: 3, replicasPerMaster: 1 }), startNatsCluster(3)]);
  gws.push(...(await Promise.all([startUas({ scenario: 'uas', lifetimeMs: 300_000 }), startUas({ scenario: 'uas', lifetimeMs: 300_000 })])));
  nodes.push(...(await Promise.all(['a', 'b'].map((id) => startSbcNode({
    gateways: gws,
    config: {
      node: { id, cluster },
      state: { backend: 'redis', redis: { mode: 'cluster', nodes: rc.urls } },
      bus: { servers: nc.urls, resync_interval: 1000 },
      topology: { mode: 'topos', mask_callid: true, sdp: 'origin' },
      log: { level: 'warn' },
    },
  })))));
}, 120_000);

afterAll(async () => {
  await Promise.all([...nodes, ...gws].map((h) => h.stop()));
  await Promise.all([rc?.stop(), nc?.stop()]);
});

/** sipp calls through each node at once. */
function callsThroughBoth(calls: number, rate: number, holdMs = 0): Promise<UacResult[]> {
  return Promise.all(nodes.map((n) => runUac({ target: `${n.host}:${n.port}`, calls, rate, holdMs, timeoutMs: 60_000, traceMessages: false })));
}


const logs = () => nodes.map((n, i) => `\n--- node ${i} ---\n${n.logTail(1500)}`).join('');

describe('nodes on a sharded Redis Cluster and a NATS cluster', () => {
  it('carries calls through both nodes, with their state spread over every shard', async () => {
    const running = callsThroughBoth(60, 30, 3000);
    await new Promise((r) => setTimeout(r, 2500)); // calls are up, held 3 s
    const perShard = await rc.keysPerMaster(`sbc:${cluster}:*`);
    const results = await running;
    for (const r of results) expect(r.failed, r.errors || logs()).toBe(0);
    expect(results.reduce((a, r) => a + r.successful, 0)).toBe(120);
    const total = perShard.reduce((a, b) => a + b, 0);
    console.log(`[sharded] keys per shard with ~120 calls up: ${perShard.join(', ')}`);
    expect(perShard).toHaveLength(3);
    for (const n of perShard) expect(n / total).toBeGreaterThan(0.15);
  }, 90_000);

  it('keeps carrying calls through a Redis master failover; every call after the takeover succeeds', async () => {
    const victim = (await rc.masters())[0];
    const during = callsThroughBoth(150, 25);
    await new Promise((r) => setTimeout(r, 2000));
    await rc.kill(victim.port);
    await waitUntil(async () => (await rc.masters()).filter((m) => m.port !== victim.port).length === 3, 30_000, 100);
    const d = await during;
    const ok = d.reduce((a, r) => a + r.successful, 0);
    console.log(`[sharded] during the failover: ${ok} of 300 calls succeeded`);
    // the dead shard held about a third of the slots for ~3 s of the 6 s run
    expect(ok).toBeGreaterThan(150);
    for (const n of nodes) expect(n.pids().length, `node ${n.port} still running`).toBeGreaterThan(0);
    const after = await callsThroughBoth(50, 25);
    for (const r of after) expect(r.failed, r.errors || logs()).toBe(0);
    expect(after.reduce((a, r) => a + r.successful, 0)).toBe(100);
  }, 120_000);

  it('loses no call when a NATS server dies, and a ban made on one node still reaches the other', async () => {
    const during = callsThroughBoth(60, 30);
    await new Promise((r) => setTimeout(r, 500));
    await nc.kill(0);
    const d = await during;
    for (const r of d) expect(r.failed, r.errors || logs()).toBe(0);
    await admin(nodes[0], 'htable.sets', { table: 'ipban', key: '198.51.100.99', value: 'test', ttl: 60 });
    await waitUntil(async () => ((await admin(nodes[1], 'htable.dump', { table: 'ipban' })) as { key: string }[]).some((e) => e.key === '198.51.100.99'), 10_000, 50);
    await nc.start(0);
  }, 90_000);
});
