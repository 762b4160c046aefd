// The Redis backend on a real 3-shard Redis Cluster (3 masters, 1 replica
// each, started by the test harness): the whole contract suite, how the keys
// of many calls spread over the shards, a shard failover under traffic, and
// how the client batches its writes to a shard.
import type { Socket } from 'node:net';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitUntil } from '../../test/harness/index.ts';
import { startRedisCluster, type RedisClusterHandle } from '../../test/harness/redis-cluster.ts';
import { realStoreFixture, stateContract } from './contract.ts';
import { isUnavailable } from './errors.ts';
import { createClient } from './redis/client.ts';
import { createRedisState } from './redis/index.ts';
import { createRedisJobQueue, createRedisJobWorker } from './redis/jobs.ts';
import type { SharedState } from './types.ts';

let rc: RedisClusterHandle | undefined;
beforeAll(async () => { rc = await startRedisCluster({ masters: 3, replicasPerMaster: 1 }); }, 60_000);
afterAll(async () => { await rc?.stop(); });

const connect = (cluster: string) => createRedisState({ cluster, topology: { kind: 'cluster', nodes: rc!.urls } });

stateContract('redis cluster (3 shards)', async () => realStoreFixture(uniqueName('state'), connect));


/** One call's state as the proxy writes it: the topos dialog with its first branch, the dispatcher's pin of the request's gateway, and call load. */
async function oneCall(s: SharedState, i: number): Promise<void> {
  const callId = `${i}-${(i * 2654435761) >>> 0}@10.0.0.9`;
  await Promise.all([
    s.dialogs.put(`tok${i}x${(i * 40503) & 0xffff}`, { callId, caller: 'sip:a@x' }, { dialogExpireMs: 60_000, branchExpireMs: 30_000, branch: { branchId: `z9hG4bK${i}`, data: { via: 'SIP/2.0/UDP 10.0.0.9' } } }),
    s.leases.claim('ds-pin', `${callId} z9hG4bK${i}`, 'sip:10.0.0.1:5060', 32_000),
    s.callLoad.startLeastLoaded(['gw1', 'gw2', 'gw3'], callId, 60_000),
  ]);
}

/** A script that keeps its shard busy for `ms` (the server runs one command at a time). */
const BUSY = "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - s > tonumber(ARGV[1]) * 1000 return 1";

describe('the Cluster client', () => {
  it('writes the commands of one turn in one write, and those issued while a batch is unanswered together once it is answered', async () => {
    const client = createClient({ topology: { kind: 'cluster', nodes: rc!.urls }, commandTimeoutMs: 2000, maxReconnectDelayMs: 500 }) as Cluster;
    try {
      await client.connect();
      await client.set('{turn}warm', '1'); // the shard's connection is up and idle
      // the shard holding {turn}: the others answer MOVED
      const owns = await Promise.all(client.nodes('master').map((n) => n.exists('{turn}warm').then(() => true, () => false)));
      const shard = client.nodes('master')[owns.indexOf(true)];
      expect(owns.filter(Boolean)).toHaveLength(1);
      // count the socket's writes: corked commands leave through one _writev
      const socket = (shard as unknown as { stream: Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } }).stream;
      let writes = 0;
      const [w, wv] = [socket._write.bind(socket), socket._writev.bind(socket)];
      socket._write = (...a: unknown[]) => { writes++; w(...a); };
      socket._writev = (...a: unknown[]) => { writes++; wv(...a); };
      await Promise.all(Array.from({ length: 20 }, (_, i) => client.set(`{turn}k${i}`, String(i))));
      expect(writes).toBe(1);
      // one batch in flight (the shard busy for 50 ms), then three commands in three later turns
      writes = 0;
      const busy = client.eval(BUSY, 1, '{turn}busy', 50);
      const later: Promise<unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setImmediate(r));
        later.push(client.set(`{turn}late${i}`, String(i)));
      }
      await Promise.all([busy, ...later]);
      expect(writes).toBe(2);
      expect(await client.get('{turn}late2')).toBe('2');
    } finally {
      client.disconnect();
    }
  });
});

describe('Redis Cluster layout', () => {
  it('spreads the keys of 10,000 calls over all shards (none above 45%), and 2,000 banned sources over all shards', async () => {
    const name = uniqueName('spread');
    const s = await connect(name);
    try {
      for (let i = 0; i < 10_000; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => oneCall(s, i + j)));
      const calls = await rc!.keysPerMaster(`sbc:${name}:*`);
      expect(calls).toHaveLength(3);
      const total = calls.reduce((a, b) => a + b, 0);
      expect(total).toBe(30_003); // a dialog, a branch and a pin per call, and the call-load sets of 3 gateways
      console.log(`[spread] keys of 10,000 calls per shard: ${calls.join(', ')}`);
      for (const n of calls) expect(n / total).toBeLessThanOrEqual(0.45);

      // per-source data: ban entries (striped table) spread too
      for (let i = 0; i < 2000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, j) => s.tables.set('ipban', `10.1.${(i + j) >> 8}.${(i + j) & 255}`, 'flood', 60_000)));
      }
      const bans = await rc!.keysPerMaster(`sbc:${name}:t:*`);
      const banTotal = bans.reduce((a, b) => a + b, 0);
      expect(banTotal).toBe(2000);
      console.log(`[spread] ban entries of 2,000 sources per shard: ${bans.join(', ')}`);
      // A striped set is 32 slots, fixed by CRC16 of the cluster name: how evenly 32 slots fall on 3 shards
      // depends on the name (for ~18% of random names one shard gets over 45% of them: this test failed that
      // often). What the layout promises is that a set's entries spread over every shard, not how evenly.
      for (const n of bans) expect(n).toBeGreaterThan(0);
      expect(await s.tables.count('ipban')).toBe(2000);
      expect((await s.tables.dump('ipban')).length).toBe(2000);
      expect([...(await s.callLoad.counts(['gw1', 'gw2', 'gw3'])).values()].reduce((a, b) => a + b, 0)).toBe(10_000);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('keeps serving through a shard failover: only calls on the dead shard fail, and only until its replica takes over', async () => {
    const cluster = uniqueName('failover');
    const [a, b] = await Promise.all([connect(cluster), connect(cluster)]);
    try {
      let ok = 0;
      let unavailable = 0;
      const others: unknown[] = [];
      let running = true;
      let n = 0;
      // two "nodes" writing calls and reading each other's dialogs, 50 at a time
      const traffic = (async () => {
        while (running) {
          await Promise.all(Array.from({ length: 50 }, async () => {
            const i = n++;
            const tok = `f${i}`;
            try {
              await a.dialogs.put(tok, { i }, { dialogExpireMs: 60_000, branchExpireMs: 30_000 });
              expect(await b.dialogs.get(tok)).toEqual({ i });
              ok++;
            } catch (err) {
              if (isUnavailable(err)) unavailable++;
              else others.push(err);
            }
          }));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await waitUntil(() => ok > 500, 20_000, 20);
      const before = await rc!.masters();
      const victim = before[0];
      await rc!.kill(victim.port);
      const killedAt = Date.now();
      // a replica is promoted: three masters again, none of them the victim
      await waitUntil(async () => (await rc!.masters()).filter((m) => m.port !== victim.port).length === 3, 20_000, 100);
      const okAtPromotion = ok;
      const failedAtPromotion = unavailable;
      await waitUntil(() => ok > okAtPromotion + 1000, 30_000, 20);
      // after the takeover: no more failures for a while
      const failedSettled = unavailable;
      await waitUntil(() => ok > okAtPromotion + 2000, 30_000, 20);
      running = false;
      await traffic;
      expect(others.map((e) => (e instanceof Error ? e.message : String(e))).slice(0, 5)).toEqual([]);
      expect(unavailable - failedSettled).toBe(0);
      console.log(`[failover] ok ${ok}, unavailable ${unavailable} (${failedAtPromotion} until the promotion was seen), takeover seen ${Date.now() - killedAt} ms after the kill`);
      // state written before the kill on the surviving shards is intact, and the promoted replica has the rest
      const readable = await Promise.all(Array.from({ length: 200 }, (_, i) => b.dialogs.get(`f${i}`).then((d) => d !== null, () => false)));
      expect(readable.filter(Boolean).length).toBeGreaterThan(150);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 120_000);

  it('carries BullMQ jobs (the accounting queue) on the cluster: every key of a queue in its own slot', async () => {
    const cluster = uniqueName('jobs');
    const topology = { kind: 'cluster' as const, nodes: rc!.urls };
    const queue = createRedisJobQueue<{ n: number }>({ cluster, name: 'acc', topology });
    const seen = new Set<number>();
    const worker = createRedisJobWorker<{ n: number }>({ cluster, name: 'acc', topology, concurrency: 4, async process(data) { seen.add(data.n); } });
    try {
      // a producer refuses while it connects (its caller buffers): wait for the first add to go through
      await waitUntil(() => queue.add('job-0', { n: 0 }).then(() => true, () => false), 10_000, 50);
      await Promise.all(Array.from({ length: 49 }, (_, i) => queue.add(`job-${i + 1}`, { n: i + 1 })));
      await waitUntil(() => seen.size === 50, 20_000, 50);
    } finally {
      await worker.close();
      await queue.close();
    }
  }, 60_000);
});
