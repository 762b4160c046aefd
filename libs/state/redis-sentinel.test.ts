// The Redis backend through Sentinel (a master, a replica, a sentinel started
// by the test harness): the contract suite, and a failover the client follows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitUntil } from '../../test/harness/index.ts';
import { startRedisSentinel, type RedisSentinelHandle } from '../../test/harness/redis-sentinel.ts';
import { realStoreFixture, stateContract } from './contract.ts';
import { createRedisState } from './redis/index.ts';

let rs: RedisSentinelHandle | undefined;
beforeAll(async () => { rs = await startRedisSentinel(); }, 60_000);
afterAll(async () => { await rs?.stop(); });

const connect = (cluster: string) => createRedisState({ cluster, topology: { kind: 'sentinel', sentinels: rs!.sentinels, name: rs!.name } });

stateContract('redis sentinel', async () => realStoreFixture(uniqueName('state'), connect));

describe('Sentinel failover', () => {
  it('follows the master to the promoted replica', async () => {
    const s = await connect(uniqueName('sentinel'));
    try {
      await s.tables.set('ipban', '10.9.9.9', 'x', 60_000);
      const before = await rs!.masterPort();
      await rs!.failover();
      await waitUntil(async () => await rs!.masterPort() !== before, 20_000, 100);
      // writes reach the new master (the old one is a replica now: a write there would be refused READONLY)
      await waitUntil(async () => {
        try { await s.tables.set('ipban', '10.9.9.10', 'y', 60_000); return true; } catch { return false; }
      }, 20_000, 100);
      expect((await s.tables.dump('ipban')).map((e) => e.key).sort()).toEqual(['10.9.9.10', '10.9.9.9']);
    } finally {
      await s.close();
    }
  }, 60_000);
});
