// Issue 19: sbc_backend_up{backend="redis"} on a Redis Cluster tells the
// truth about every shard. A node process keeps its state in a 3-shard Redis
// Cluster (one replica each). A master is killed while its replica is told
// not to take over (cluster-replica-no-failover), so the test sees the gap
// for as long as it needs, whatever the machine's speed: the gauge goes 0 and
// sbc_state_redis_unserved_slots counts that shard's slots. Then the replica
// may take over, and both come back (1, 0). Every wait is on a condition.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { startRedisCluster, type RedisClusterHandle } from '../harness/redis-cluster.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { metric, optionsFrom } from './cluster-kit.ts';

let rc: RedisClusterHandle;
let node: SbcNodeHandle;
const cluster = uniqueName('shardhealth').replace(/[^A-Za-z0-9_-]/g, '_');

beforeAll(async () => {
  rc = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  node = await startSbcNode({
    gateways: [],
    config: {
      node: { id: 'a', cluster },
      state: { backend: 'redis', redis: { mode: 'cluster', nodes: rc.urls } },
      log: { level: 'info' },
    },
  });
}, 120_000);

afterAll(async () => {
  await node?.stop();
  await rc?.stop();
});

const redisUp = () => metric(node, 'sbc_backend_up', 'backend="redis"');

const unservedSlots = () => metric(node, 'sbc_state_redis_unserved_slots', '');

async function setNoFailover(port: number, on: boolean): Promise<void> {
  const r = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 });
  try {
    await r.config('SET', 'cluster-replica-no-failover', on ? 'yes' : 'no');
  } finally {
    r.disconnect();
  }
}

describe('sbc_backend_up{backend="redis"} on a Redis Cluster', () => {
  it('is 1 with every shard served, 0 while a shard has no master, and 1 again after its replica took over', async () => {
    expect(await redisUp()).toBe(1);
    expect(await unservedSlots()).toBe(0);

    const victim = (await rc.masters())[0];
    const [replica] = await rc.replicasOf(victim.port);
    expect(replica, 'the victim has a replica').toBeDefined();
    await setNoFailover(replica.port, true);
    await rc.kill(victim.port);

    await waitUntil(async () => (await redisUp()) === 0, 15_000, 50);
    const gap = await unservedSlots();
    // one shard of three: about a third of the slots
    expect(gap).toBeGreaterThan(5000);
    expect(gap).toBeLessThan(6000);
    // the node keeps answering (its connection to the cluster is up)
    expect(await optionsFrom(node, '127.0.0.1', 1000)).toBe(200);
    expect(node.logTail()).toMatch(/Redis Cluster slots without a reachable master/);

    await setNoFailover(replica.port, false);
    await waitUntil(async () => (await redisUp()) === 1, 30_000, 50);
    expect(await unservedSlots()).toBe(0);
    expect(node.logTail()).toMatch(/every Redis Cluster slot served again/);
  }, 90_000);
});
