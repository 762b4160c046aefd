// Redis dies and comes back: calls fail fast (no hang, no unbounded queue),
// status reports down then up (reconnect), and the stores work again.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnRedis, uniqueName, waitUntil } from '../../test/harness/index.ts';
import { StateError } from './errors.ts';
import { createRedisState } from './redis/index.ts';
import type { BackendStatus, FlushResult } from './types.ts';

describe('redis backend faults', () => {
  let server: Awaited<ReturnType<typeof spawnRedis>> | undefined;
  afterAll(async () => { await server?.stop(); });

  it('rejects quickly while Redis is down and recovers after a restart', async () => {
    server = await spawnRedis();
    const state = await createRedisState({ url: server.url, cluster: uniqueName('faults'), commandTimeoutMs: 500, maxReconnectDelayMs: 100 });
    const seen: BackendStatus[] = [];
    state.onStatus((s) => seen.push(s));
    await state.tables.set('ipban', '1.2.3.4', 'x');
    const pike = state.counters('pike', { windowMs: 60_000, flushIntervalMs: 60_000 });
    const flushes: FlushResult[] = [];
    pike.onFlush((r) => flushes.push(r));

    await server.kill!();
    await waitUntil(() => !state.status().up, 5000);
    expect(seen[0]).toMatchObject({ up: false });

    const started = Date.now();
    const results = await Promise.allSettled([
      state.tables.get('ipban', '1.2.3.4'),
      state.dialogs.put('tok', 'r', { dialogExpireMs: 1000, branchExpireMs: 100 }),
      state.callLoad.start('gw', 'c1', 1000),
      state.locations.lookup('alice'),
      state.config.list(),
    ]);
    // Bounded, not a speed figure: a hang or an offline queue would wait for the reconnect.
    expect(Date.now() - started).toBeLessThan(2000);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as StateError;
      expect(reason).toBeInstanceOf(StateError);
      expect(reason.code).toBe('STATE_UNAVAILABLE');
    }
    pike.add('9.9.9.9', 2);
    await expect(pike.flush()).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
    expect(flushes.at(-1)).toMatchObject({ ok: false });
    expect(pike.pending()).toBe(1);

    // while down, the status names the cause once a reconnect attempt has failed
    const cause = () => (state.status() as { error?: Error }).error?.message ?? '';
    await waitUntil(() => /ECONNREFUSED/.test(cause()), 5000);
    await server.start!();
    await waitUntil(() => state.status().up, 10_000);
    expect(seen.at(-1)).toEqual({ up: true, reconnect: true });
    expect(seen.map((s) => s.up)).toEqual([false, true]);
    // The private server lost its data (no persistence): the store works again.
    await state.tables.set('ipban', '1.2.3.4', 'y', 5000);
    expect((await state.tables.get('ipban', '1.2.3.4'))?.value).toBe('y');
    expect((await pike.flush()).get('9.9.9.9')).toBe(2);

    // A later outage (the connection killed, no error) must not name the old one's cause.
    const admin = new Redis(server.url, { lazyConnect: true });
    await admin.connect();
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await admin.quit();
    await waitUntil(() => seen.length >= 4, 5000); // down, up, down, up
    const second = seen[2] as { up: false; error: Error };
    expect(second.up).toBe(false);
    expect(second.error.message).not.toMatch(/ECONNREFUSED/);
    expect(seen.at(-1)).toEqual({ up: true, reconnect: true });
    await state.close();
  });

  it('refuses to start when Redis is unreachable, within connectTimeoutMs', async () => {
    const srv = await spawnRedis();
    await srv.kill!();
    const err = await createRedisState({ url: srv.url, cluster: uniqueName('faults'), connectTimeoutMs: 300 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).code).toBe('STATE_UNAVAILABLE');
    expect((err as Error).message).toMatch(/not ready within 300 ms/);
    await srv.stop();
  });
});
