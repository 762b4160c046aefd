// Dead letters replayed through a running cdr-writer process: a batch that
// gave up while PostgreSQL was away waits in the dead-letter queue; the
// operator fixes the cause and runs `sbcctl acc.replay_dead` (an admin token:
// it changes state); the batch is written and the dead-letter queue is empty.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AccBatch } from '../../libs/acc/events.ts';
import { callEvents } from '../../libs/acc/test-support.ts';
import { createRedisJobQueue, deadLetterName, type DeadLetter } from '../../libs/state/index.ts';
import { createTestDatabase, endPool, uniqueName, waitUntil } from '../harness/index.ts';
import { writerProcess } from './writer-kit.ts';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
const cluster = uniqueName('writerreplay').replace(/[^A-Za-z0-9_-]/g, '_');

beforeAll(async () => {
  db = await createTestDatabase(inject('pgUrl'), 'writerreplay');
  pool = new pg.Pool({ connectionString: db.url, max: 1 });
}, 60_000);

afterAll(async () => {
  if (pool) await endPool(pool);
  await db?.drop();
});

describe('cdr-writer acc.replay_dead', () => {
  it('puts a dead-lettered batch back into the queue; the writer writes its record', async () => {
    const redisUrl = inject('redisUrl');
    const w = await writerProcess({ databaseUrl: db.url, redisUrl, cluster });
    const dead = createRedisJobQueue<DeadLetter<AccBatch>>({ cluster, name: deadLetterName('acc'), url: redisUrl });
    try {
      await w.start();
      const events = callEvents({ call: 'replay-1', attempts: [{ gw: 'sip:gw', outcome: 'answer' }], talkMs: 1000 });
      await dead.add('b-1', { jobId: 'b-1', data: { v: 1, node: 'n1', events }, error: 'connect ECONNREFUSED 127.0.0.1:5432', failedAt: Date.now() });
      await waitUntil(async () => ((await w.admin('acc.stats')) as { dead: number }).dead === 1, 10_000, 50);

      const refused = await w.adminResponse('acc.replay_dead', { as: 'read' });
      expect(refused.status, w.logTail()).toBe(403);
      const done = await w.adminResponse('acc.replay_dead', { params: { limit: 10 } });
      expect(done, w.logTail()).toEqual({ status: 200, body: expect.objectContaining({ result: { replayed: 1, left: 0 } }) });

      const written = async () => (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM acc_cdrs WHERE callid = 'replay-1'")).rows[0].n;
      await waitUntil(async () => (await written()) === 1, 10_000, 50);
      expect(await w.admin('acc.stats')).toMatchObject({ dead: 0, recordsWritten: 1 });
    } finally {
      await dead.close();
      await w.stop();
    }
  });
});
