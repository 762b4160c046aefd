// Issue 15 "done when", algorithm 10: call load counted in Redis from the
// call events of three node processes. Calls held open through different
// nodes fill a gateway up to its maxload, then the next call goes to the
// other one; the calls of a node killed with kill -9 stop counting after
// ds_hash_expire, never later.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runUac, startUas, type SbcNodeHandle, type UasHandle, type UacResult } from '../sipp/index.ts';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { destinations, killNode, metric, startClusterNode } from './cluster-kit.ts';

const EXPIRE = 5000;
const cluster = uniqueName('dsload').replace(/[^A-Za-z0-9_-]/g, '_');
const nodes: SbcNodeHandle[] = [];
let a: UasHandle;
let b: UasHandle;
const running: Promise<UacResult>[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startUas({ scenario: 'uas' }), startUas({ scenario: 'uas' })]);
  const dispatcher = {
    algorithm: 10,
    ds_hash_expire: EXPIRE,
    ds_hash_initexpire: EXPIRE,
    sets: [
      { setid: 1, uri: `sip:${a.host}:${a.port}`, attrs: 'duid=gw-a;maxload=2' },
      { setid: 1, uri: `sip:${b.host}:${b.port}`, attrs: 'duid=gw-b;maxload=50' },
    ],
  };
  const start = (id: string) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl'), config: { dispatcher } });
  nodes.push(...(await Promise.all([start('n1'), start('n2'), start('n3')])));
}, 90_000);

afterAll(async () => {
  await Promise.allSettled(running);
  await Promise.all(nodes.map((n) => n.stop()));
  await Promise.all([a?.stop(), b?.stop()]);
});

/** active calls per duid as `node` reports them (dispatcher.list reads Redis: the same on every node) */
async function calls(node: SbcNodeHandle): Promise<Record<string, number>> {
  const ds = await destinations(node, 1);
  return Object.fromEntries(ds.map((d) => [d.uri === `sip:${a.host}:${a.port}` ? 'a' : 'b', d.calls ?? -1]));
}

const hold = (node: SbcNodeHandle, n: number, holdMs: number, timeoutMs = holdMs + 15_000) => {
  const p = runUac({ target: `${node.host}:${node.port}`, calls: n, rate: 50, holdMs, timeoutMs });
  running.push(p);
  return p;
};

describe('algorithm 10: call load shared by three nodes', () => {
  it('fills a gateway up to maxload with calls held through different nodes, then uses the other', async () => {
    void hold(nodes[0], 1, 3500); // -> a (both idle, a first)
    await waitUntil(async () => (await calls(nodes[2])).a === 1, 5000, 20);
    void hold(nodes[1], 1, 3500); // -> b (a has 1)
    await waitUntil(async () => (await calls(nodes[2])).b === 1, 5000, 20);
    void hold(nodes[2], 1, 3500); // -> a (1 each: a first) -> a is full
    await waitUntil(async () => (await calls(nodes[0])).a === 2, 5000, 20);
    void hold(nodes[0], 2, 3500); // a is at maxload: both to b
    await waitUntil(async () => (await calls(nodes[1])).b === 3, 5000, 20);
    expect(await calls(nodes[1])).toEqual({ a: 2, b: 3 });
    expect(await metric(nodes[2], 'sbc_dispatcher_active_calls', 'duid="gw-a"')).toBe(2);
    // every call ends with its BYE (through any node): nothing stays counted
    await Promise.all(running.splice(0));
    await waitUntil(async () => { const c = await calls(nodes[1]); return c.a === 0 && c.b === 0; }, 5000, 50);
  });

  it('lets the calls of a node killed with kill -9 expire after ds_hash_expire, never later', async () => {
    const victim = nodes[0];
    // held longer than ds_hash_expire; sipp is stopped once its BYEs to the dead node are pointless
    void hold(victim, 2, EXPIRE + 3000, EXPIRE + 4000);
    await waitUntil(async () => { const c = await calls(nodes[1]); return c.a + c.b === 2; }, 5000, 20);
    const answeredBy = Date.now();
    killNode(victim);
    // the BYEs go to the dead node and are lost; the counts settle by themselves
    await waitUntil(async () => { const c = await calls(nodes[1]); return c.a + c.b === 0; }, EXPIRE + 3000, 100);
    const settled = Date.now() - answeredBy;
    expect(settled).toBeGreaterThan(EXPIRE - 1500);
    expect(settled).toBeLessThan(EXPIRE + 1500);
  });
});
