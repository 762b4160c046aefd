// Issue 3 "done when": three node processes on loopback share Redis and NATS.
// A ban set through node 1 is enforced by nodes 2 and 3 within 100 ms and by a
// node started afterwards; a config change made through node 2 reaches all.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SbcNodeHandle } from '../sipp/index.ts';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { admin, optionsFrom, startClusterNode } from './cluster-kit.ts';

const cluster = uniqueName('cluster').replace(/[^A-Za-z0-9_-]/g, '_');
const nodes: SbcNodeHandle[] = [];
const start = (id: string) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl') });

beforeAll(async () => {
  nodes.push(...(await Promise.all([start('n1'), start('n2'), start('n3')])));
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

type DumpEntry = { key: string };

/**
 * How many changes of `table` published by other nodes a node applied, and
 * how many of them within 100 ms of their publication: each node measures it
 * itself (sbc_replica_news_lag_seconds), so the figure does not depend on how
 * fast this test can poll the nodes on a loaded machine.
 */
async function newsLag(n: SbcNodeHandle, table: string): Promise<{ count: number; within100ms: number }> {
  const text = await (await fetch(`http://${n.host}:${n.httpPort}/metrics`)).text();
  const value = (suffix: string, extra: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`sbc_replica_news_lag_seconds_${suffix}{`) && l.includes(`table="${table}"`) && l.includes(extra));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return { count: value('count', ''), within100ms: value('bucket', 'le="0.1"') };
}
const banned = async (n: SbcNodeHandle, ip: string) => ((await admin(n, 'htable.dump', { table: 'ipban' })) as DumpEntry[]).some((e) => e.key === ip);

describe('a three-node cluster', () => {
  const bannedIp = '127.0.0.77';
  const innocentIp = '127.0.0.78';

  it('answers from every source before any ban', async () => {
    for (const n of nodes) expect(await optionsFrom(n, bannedIp)).toBe(200);
  });

  it('enforces a ban set on node 1 on nodes 2 and 3 within 100 ms', async () => {
    const [n1, n2, n3] = nodes;
    await admin(n1, 'htable.sets', { table: 'ipban', key: bannedIp, value: 'test', ttl: 120 });
    // each node's local cache is what the per-request check reads
    await waitUntil(async () => (await banned(n2, bannedIp)) && (await banned(n3, bannedIp)), 2000, 2);
    for (const n of [n2, n3]) expect(await newsLag(n, 'ipban')).toEqual({ count: 1, within100ms: 1 });
    for (const n of [n1, n2, n3]) {
      expect(await optionsFrom(n, bannedIp)).toBeUndefined();
      expect(await optionsFrom(n, innocentIp)).toBe(200);
    }
  });

  it('enforces the ban on a node started afterwards', async () => {
    const n4 = await start('n4');
    nodes.push(n4);
    expect(await banned(n4, bannedIp)).toBe(true);
    expect(await optionsFrom(n4, bannedIp)).toBeUndefined();
    expect(await optionsFrom(n4, innocentIp)).toBe(200);
  });

  it('lifts the ban everywhere when deleted through any node', async () => {
    await admin(nodes[2], 'htable.delete', { table: 'ipban', key: bannedIp });
    await waitUntil(async () => !(await Promise.all(nodes.map((n) => banned(n, bannedIp)))).some(Boolean), 2000, 2);
    for (const n of nodes) expect(await optionsFrom(n, bannedIp)).toBe(200);
  });

  it('lets a ban expire on every node when its time is up', async () => {
    const ip = '127.0.0.79';
    await admin(nodes[0], 'htable.sets', { table: 'ipban', key: ip, value: 'short', ttl: 1 });
    await waitUntil(async () => (await Promise.all(nodes.map((n) => banned(n, ip)))).every(Boolean), 2000, 5);
    expect(await optionsFrom(nodes[1], ip)).toBeUndefined();
    // expiry is local on every node (each entry carries its expiry time): no news needed
    await waitUntil(async () => (await Promise.all(nodes.map((n) => optionsFrom(n, ip, 300)))).every((s) => s === 200), 4000, 100);
    for (const n of nodes) expect(await banned(n, ip)).toBe(false);
  });

  it('applies a dispatcher change made through node 2 on every node within 100 ms', async () => {
    const uri = 'sip:127.0.0.1:5999';
    await admin(nodes[1], 'dispatcher.apply', { sets: [{ setid: 1, uri }, { setid: 2, uri: 'sip:127.0.0.1:5998' }] });
    const has = async (n: SbcNodeHandle) => {
      const r = (await admin(n, 'dispatcher.list')) as { sets: { id: number; destinations: { uri: string }[] }[] };
      return r.sets.some((s) => s.id === 1 && s.destinations.some((d) => d.uri === uri));
    };
    await waitUntil(async () => (await Promise.all(nodes.map(has))).every(Boolean), 2000, 2);
    for (const n of nodes.filter((x) => x !== nodes[1])) expect(await newsLag(n, 'config')).toEqual({ count: 1, within100ms: 1 });
    // and a node started later loads the current config from Redis
    const n5 = await start('n5');
    nodes.push(n5);
    expect(await has(n5)).toBe(true);
  });

  it('rejects a bad dispatcher change with a readable error and keeps the old sets', async () => {
    await expect(admin(nodes[0], 'dispatcher.apply', { sets: [{ setid: 1, uri: 'http://nope' }] })).rejects.toThrow(/422[\s\S]*not a valid SIP URI/);
    const r = (await admin(nodes[0], 'dispatcher.list')) as { sets: { id: number }[] };
    expect(r.sets.map((s) => s.id)).toContain(2);
  });
});
