// What the Redis backend leaves in Redis: the documented key layout, and a
// TTL on every key that can grow (nothing leaks after a node dies).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName, waitUntil } from '../../test/harness/index.ts';
import { keySpace, stripeOf, type KeySpace } from './keys.ts';
import { createRedisState } from './redis/index.ts';
import type { SharedState } from './types.ts';

describe('redis key layout and TTLs', () => {
  let raw: Redis;
  let state: SharedState;
  let k: KeySpace;
  beforeAll(async () => {
    const cluster = uniqueName('layout');
    raw = new Redis(inject('redisUrl'));
    state = await createRedisState({ url: inject('redisUrl'), cluster });
    k = keySpace(cluster);
  });
  afterAll(async () => {
    await state.close();
    raw.disconnect();
  });

  it('counter windows: one sorted set per window, expiring after two windows', async () => {
    const c = state.counters('pike', { windowMs: 5000, flushIntervalMs: 60_000 });
    c.add('1.2.3.4', 3);
    const before = Math.floor(Date.now() / 5000);
    await c.flush();
    const after = Math.floor(Date.now() / 5000);
    const stripe = stripeOf('1.2.3.4');
    const key = [k.counterWindow('pike', 5000, before, stripe), k.counterWindow('pike', 5000, after, stripe)];
    const types = await Promise.all(key.map((x) => raw.type(x)));
    const i = types.indexOf('zset');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(await raw.zscore(key[i], '1.2.3.4')).toBe('3');
    const pttl = await raw.pttl(key[i]);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(10_000);
  });

  it('tables: an entry string with PX and an index sorted set (per stripe) that lives as long as its last entry', async () => {
    const ti = (table: string, key: string) => k.tableIndex(table, stripeOf(key));
    await state.tables.set('ipban', '10.0.0.1', 'x', 3000);
    expect(await raw.type(k.tableEntry('ipban', '10.0.0.1'))).toBe('string');
    expect(await raw.pttl(k.tableEntry('ipban', '10.0.0.1'))).toBeGreaterThan(2000);
    expect(await raw.type(ti('ipban', '10.0.0.1'))).toBe('zset');
    const idxTtl = await raw.pttl(ti('ipban', '10.0.0.1'));
    expect(idxTtl).toBeGreaterThan(2000);
    expect(idxTtl).toBeLessThanOrEqual(3000);
    await state.tables.set('ipban', 'forever', 'x');
    await state.tables.set('ipban', 'soon', 'x', 3000);
    // same stripe check: an entry without TTL keeps its stripe's index alive
    expect(await raw.pttl(ti('ipban', 'forever'))).toBe(-1);
    expect(await raw.pttl(ti('ipban', 'soon'))).toBeGreaterThan(0);
    expect(new Set([stripeOf('soon'), stripeOf('forever'), stripeOf('10.0.0.1')]).size).toBe(3);
    await state.tables.delete('ipban', 'forever');
    expect(await raw.exists(ti('ipban', 'forever'))).toBe(0); // its stripe held only that entry

    await state.tables.set('short', 'a', 'x', 60);
    await waitUntil(async () => await raw.exists(ti('short', 'a'), k.tableEntry('short', 'a')) === 0, 2000);
  });

  it('call load: a sorted set of Call-IDs that disappears when its last call expires', async () => {
    await state.callLoad.start('gw-dead', 'c1', 80);
    expect(await raw.type(k.callLoad('gw-dead'))).toBe('zset');
    expect(await raw.pttl(k.callLoad('gw-dead'))).toBeLessThanOrEqual(80);
    await waitUntil(async () => await raw.exists(k.callLoad('gw-dead')) === 0, 2000);
  });

  it('leases: a members sorted set and one string per lease, all gone when the member stops renewing', async () => {
    await state.leases.sync('ds-probe', 'n-dead', ['gw1'], [], 100);
    expect(await raw.type(k.leaseMembers('ds-probe'))).toBe('zset');
    expect(await raw.get(k.lease('ds-probe', 'gw1'))).toBe('n-dead');
    expect(await raw.pttl(k.lease('ds-probe', 'gw1'))).toBeLessThanOrEqual(100);
    expect(await raw.pttl(k.leaseMembers('ds-probe'))).toBeLessThanOrEqual(100);
    await waitUntil(async () => await raw.exists(k.leaseMembers('ds-probe'), k.lease('ds-probe', 'gw1')) === 0, 2000);
  });

  it('claims: one string per claimed name with its TTL', async () => {
    expect(await state.leases.claim('ds-pin', 'call-1 z9hG4bK1', 'sip:gw1', 500)).toBe('sip:gw1');
    expect(await raw.get(k.claim('ds-pin', 'call-1 z9hG4bK1'))).toBe('sip:gw1');
    const t = await raw.pttl(k.claim('ds-pin', 'call-1 z9hG4bK1'));
    expect(t).toBeGreaterThan(0);
    expect(t).toBeLessThanOrEqual(500);
  });

  it('dialogs and branches: strings with PX', async () => {
    await state.dialogs.put('tok', { a: 1 }, { dialogExpireMs: 7000, branchExpireMs: 500, branch: { branchId: 'b', data: 'x' } });
    expect(await raw.get(k.dialog('tok'))).toBe('{"a":1}');
    expect(await raw.pttl(k.dialog('tok'))).toBeGreaterThan(6000);
    const bttl = await raw.pttl(k.dialogBranch('tok', 'b'));
    expect(bttl).toBeGreaterThan(0);
    expect(bttl).toBeLessThanOrEqual(500);
  });

  it('locations: a hash and an expiry sorted set, both living as long as the last binding', async () => {
    await state.locations.save('alice', { uri: 'sip:a@1', expiresMs: 4000, callId: 'x', cseq: 1 });
    await state.locations.save('alice', { uri: 'sip:a@2', expiresMs: 2000, callId: 'y', cseq: 1 });
    expect(await raw.type(k.location('alice'))).toBe('hash');
    expect(await raw.type(k.locationExpiry('alice'))).toBe('zset');
    for (const key of [k.location('alice'), k.locationExpiry('alice')]) {
      const t = await raw.pttl(key);
      expect(t).toBeGreaterThan(3000);
      expect(t).toBeLessThanOrEqual(4000);
    }
    await state.locations.removeAll('alice');
    expect(await raw.exists(k.location('alice'), k.locationExpiry('alice'))).toBe(0);
  });

  it('config: two hashes without TTL', async () => {
    await state.config.put('dispatcher', 'doc', 1);
    expect(await raw.hget(k.configDocs(), 'dispatcher')).toBe('doc');
    expect(await raw.hget(k.configVersions(), 'dispatcher')).toBe('1');
    expect(await raw.pttl(k.configDocs())).toBe(-1);
  });
});
