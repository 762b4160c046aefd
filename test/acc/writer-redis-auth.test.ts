// The accounting writer on a Redis that wants a password (the chart hands it
// the nodes' redis-password from the Secret as SBC_CDR_WRITER_REDIS_PASSWORD):
// with cdr_writer.redis_password and a URL without credentials the writer
// process reads its queue (acc.stats asks Redis). Without the password the
// writer's acc.stats does not answer at all (a hang, reported in issue 19's
// note), so this test would time out without the setting's wiring.
//
// A Redis that refuses the writer's password (wrong, or none given) is a
// config fault the writer reports at once: at start it exits with a line
// naming WRONGPASS/NOAUTH (as the node does, docs/accounting.md); when the
// password changes under a running writer (a rotated Secret) it turns not
// ready with the reason, logs it, shows sbc_backend_up{backend="redis"} 0 and
// answers acc.stats with 503 at once, then recovers when Redis accepts it
// again. Before, it stayed ready and acc.stats never answered.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../libs/state/testing/private-redis.ts';
import { createTestDatabase, uniqueName, waitUntil } from '../harness/index.ts';
import { writerProcess } from './writer-kit.ts';

let redis: PrivateRedis;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const cluster = uniqueName('writerauth').replace(/[^A-Za-z0-9_-]/g, '_');

beforeAll(async () => {
  redis = await startPrivateRedis((port) => ['--port', String(port), '--requirepass', 'writer-s3cret']);
  db = await createTestDatabase(inject('pgUrl'), 'writerauth');
}, 60_000);

afterAll(async () => {
  await redis?.stop();
  await db?.drop();
});

describe('cdr-writer with a Redis password', () => {
  it('reads its queue with cdr_writer.redis_password (the URL carries none)', async () => {
    const w = await writerProcess({ databaseUrl: db.url, redisUrl: `redis://127.0.0.1:${redis.port}`, cluster, settings: { redis_password: 'writer-s3cret' } });
    try {
      await w.start();
      expect(await w.admin('acc.stats'), w.logTail()).toMatchObject({ waiting: 0, failed: 0 });
    } finally {
      await w.stop();
    }
  }, 60_000);

  it('exits at start with a clear error when Redis refuses the password, or wants one it was not given', async () => {
    for (const [settings, code] of [[{ redis_password: 'wrong-pw-4711' }, 'WRONGPASS'], [{}, 'NOAUTH']] as const) {
      const w = await writerProcess({ databaseUrl: db.url, redisUrl: `redis://127.0.0.1:${redis.port}`, cluster, settings });
      try {
        // a hang guard, not a timing assertion: before the fix the writer ran on (and reported ready)
        const exit = await Promise.race([w.run(), new Promise<string>((r) => setTimeout(() => r('still running'), 30_000).unref())]);
        expect(exit, w.logTail()).toBe(1);
        expect(w.logTail()).toMatch(new RegExp(`refused authentication.*${code}`));
        expect(w.logTail()).not.toContain('wrong-pw-4711');
      } finally {
        await w.stop();
      }
    }
  }, 90_000);

  it('turns not ready, logs it and answers acc.stats with 503 when the password stops working, and recovers', async () => {
    const w = await writerProcess({ databaseUrl: db.url, redisUrl: `redis://127.0.0.1:${redis.port}`, cluster, settings: { redis_password: 'writer-s3cret' } });
    const op = new Redis({ port: redis.port, password: 'writer-s3cret', lazyConnect: true });
    await op.connect();
    try {
      await w.start();
      expect(await w.metrics()).toMatch(/^sbc_backend_up\{backend="redis"\} 1$/m);
      // the Secret rotated on the server only: the writer's connections are cut and must log in again
      await op.config('SET', 'requirepass', 'rotated-pw-0815');
      await op.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      // first the cut connection, then the refused login: wait for the reason to name it
      await waitUntil(async () => /redis refused authentication: WRONGPASS/.test((await w.readyz()).body.reason ?? ''), 20_000, 100);
      expect((await w.readyz()).status).toBe(503);
      expect(await w.metrics()).toMatch(/^sbc_backend_up\{backend="redis"\} 0$/m);
      const res = await w.adminResponse('acc.stats');
      expect(res.status).toBe(503);
      expect(res.body.error).toMatch(/redis refused authentication: WRONGPASS/);
      await waitUntil(() => /redis refused authentication \(NOAUTH\/WRONGPASS\)/.test(w.logTail()), 10_000, 100);
      expect(w.logTail()).not.toMatch(/writer-s3cret|rotated-pw-0815/);

      await op.config('SET', 'requirepass', 'writer-s3cret');
      await waitUntil(async () => (await w.readyz()).status === 200, 20_000, 100);
      expect(await w.admin('acc.stats'), w.logTail()).toMatchObject({ waiting: 0, failed: 0 });
      expect(await w.metrics()).toMatch(/^sbc_backend_up\{backend="redis"\} 1$/m);
    } finally {
      await op.config('SET', 'requirepass', 'writer-s3cret').catch(() => undefined);
      op.disconnect();
      await w.stop();
    }
  }, 90_000);
});
