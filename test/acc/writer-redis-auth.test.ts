// The accounting writer on a Redis that wants a password (the chart hands it
// the nodes' redis-password from the Secret as SBC_CDR_WRITER_REDIS_PASSWORD):
// with cdr_writer.redis_password and a URL without credentials the writer
// process reads its queue (acc.stats asks Redis). Without the password the
// writer's acc.stats does not answer at all (a hang, reported in issue 19's
// note), so this test would time out without the setting's wiring.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../../libs/state/testing/private-redis.ts';
import { createTestDatabase, uniqueName } from '../harness/index.ts';
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
});
