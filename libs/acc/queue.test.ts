// Node emitter -> BullMQ queue (real Redis) -> writer -> PostgreSQL (real server).
import pino from 'pino';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedisJobQueue, deadLetterName, type DeadLetter, type JobQueue } from '#libs/state';
import { createTestDatabase, endPool, spawnRedis, uniqueName, waitUntil } from '#test/harness/index';
import { AccEmitter } from './emitter.ts';
import type { AccBatch } from './events.ts';
import { callEvents } from './test-support.ts';
import { startCdrWriter, type CdrWriter } from './writer.ts';

const logger = pino({ level: 'silent' });
let db: { url: string; drop(): Promise<void> };
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgUrl'), 'accqueue');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterAll(async () => {
  if (pool) await endPool(pool);
  await db?.drop();
});

function writer(redisUrl: string, cluster: string, registry = new Registry()): Promise<CdrWriter> {
  return startCdrWriter({ databaseUrl: db.url, redisUrl, cluster, queue: 'acc', concurrency: 2, expiry: { setupExpireMs: 60_000, dialogExpireMs: 60_000 }, sweepMs: 200, registry, logger });
}

async function cdrCount(prefix: string): Promise<number> {
  const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM acc_cdrs WHERE callid LIKE $1', [`${prefix}%`]);
  return r.rows[0].n;
}

function emitCalls(emitter: AccEmitter, prefix: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const evs = callEvents({ call: `${prefix}${i}`, attempts: [{ gw: 'sip:gw', duid: 'gw', outcome: i % 3 === 0 ? 'busy' : 'answer' }], talkMs: 1000 });
    for (const { id: _id, node: _node, ...ev } of evs) emitter.emit(ev);
  }
}

describe('accounting queue (BullMQ on Redis) to the writer', () => {
  it('carries batches to PostgreSQL, one record per call; acc.stats reports the queue', async () => {
    const cluster = uniqueName('accq');
    const redisUrl = inject('redisUrl');
    const queue: JobQueue<AccBatch> = createRedisJobQueue({ cluster, name: 'acc', url: redisUrl, logger });
    const emitter = new AccEmitter({ node: 'n1', sink: { send: (b, id) => queue.add(id, b) }, flushMs: 50, maxBatch: 100 });
    const w = await writer(redisUrl, cluster);
    try {
      emitCalls(emitter, 'q1-', 300);
      await emitter.flush();
      await waitUntil(async () => (await cdrCount('q1-')) === 300, 20_000, 100);
      const stats = await w.stats();
      expect(stats).toMatchObject({ dead: 0, openCalls: 0 });
      expect(stats.recordsWritten).toBe(300);
      expect(emitter.snapshot()).toMatchObject({ dropped: 0, buffered: 0, sent: emitter.snapshot().emitted });
      // a batch sent twice under the same job id is one job; under another id its events are repeats
      const again = callEvents({ call: 'q1-0', attempts: [{ gw: 'sip:gw', outcome: 'busy' }] });
      await queue.add('dup-1', { v: 1, node: 'n1', events: again });
      await queue.add('dup-2', { v: 1, node: 'n1', events: again });
      await waitUntil(async () => (await w.stats()).batches >= stats.batches + 2, 10_000, 50);
      expect(await cdrCount('q1-')).toBe(300);
    } finally {
      await emitter.close();
      await w.close();
      await queue.close();
    }
  });

  it('a malformed batch goes to the dead-letter queue and is counted', async () => {
    const cluster = uniqueName('accdl');
    const redisUrl = inject('redisUrl');
    const queue = createRedisJobQueue<unknown>({ cluster, name: 'acc', url: redisUrl, logger });
    const registry = new Registry();
    const w = await writer(redisUrl, cluster, registry);
    try {
      await queue.add('bad-1', { v: 99, events: 'nope' });
      await waitUntil(async () => (await w.stats()).dead === 1, 10_000, 50);
      expect((await w.stats()).deadLetters).toBe(1);
      expect(await registry.getSingleMetricAsString('sbc_acc_dead_letters_total')).toMatch(/sbc_acc_dead_letters_total 1/);
    } finally {
      await w.close();
      await queue.close();
    }
  });

  it('acc.replay_dead puts dead letters back: a good batch is written, a malformed one returns to the dead-letter queue', async () => {
    const cluster = uniqueName('accrp');
    const redisUrl = inject('redisUrl');
    const queue = createRedisJobQueue<unknown>({ cluster, name: 'acc', url: redisUrl, logger });
    // a good batch that gave up while PostgreSQL was away, as the writer leaves it
    const deadQueue = createRedisJobQueue<DeadLetter<AccBatch>>({ cluster, name: deadLetterName('acc'), url: redisUrl, logger });
    const w = await writer(redisUrl, cluster);
    const replay = w.admin.find((c) => c.name === 'acc.replay_dead')!;
    try {
      expect(replay.mutates).toBe(true);
      await deadQueue.add('good-1', { jobId: 'good-1', data: { v: 1, node: 'n1', events: callEvents({ call: 'rp-1', attempts: [{ gw: 'sip:gw', outcome: 'busy' }] }) }, error: 'postgres down', failedAt: Date.now() });
      await queue.add('bad-1', { v: 99, events: 'nope' });
      await waitUntil(async () => (await w.stats()).dead === 2, 10_000, 50);
      expect(await cdrCount('rp-')).toBe(0);
      await expect(Promise.resolve().then(() => replay.run({ limit: 0 }))).rejects.toThrow(/limit must be a whole number from 1 to 10000/);

      expect(await replay.run({ limit: 1 })).toEqual({ replayed: 1, left: 1 }); // oldest first: the good batch
      await waitUntil(async () => (await cdrCount('rp-')) === 1, 10_000, 50);
      expect(await replay.run({})).toEqual({ replayed: 1, left: 0 });
      // the malformed batch fails again and is dead-lettered again, under its replay's id
      await waitUntil(async () => (await w.stats()).deadLetters === 2, 10_000, 50);
      await waitUntil(async () => (await w.stats()).dead === 1, 10_000, 50);
      expect(await cdrCount('rp-')).toBe(1);
    } finally {
      await w.close();
      await queue.close();
      await deadQueue.close();
    }
  });

  it('Redis restarted under load: the node keeps events buffered and sends them when Redis is back (none lost, none doubled)', async () => {
    const redis = await spawnRedis();
    const cluster = uniqueName('accrr');
    const queue = createRedisJobQueue<AccBatch>({ cluster, name: 'acc', url: redis.url, logger });
    const emitter = new AccEmitter({ node: 'n1', sink: { send: (b, id) => queue.add(id, b) }, flushMs: 50, maxBatch: 50, logger });
    const w = await writer(redis.url, cluster);
    try {
      emitCalls(emitter, 'rr-a-', 100);
      await emitter.flush();
      await waitUntil(async () => (await cdrCount('rr-a-')) === 100, 20_000, 100);
      // Redis dies (its data with it: the spawned server keeps nothing), calls go on meanwhile
      await redis.kill?.();
      emitCalls(emitter, 'rr-b-', 100);
      await waitUntil(() => emitter.snapshot().batchesFailed > 0, 10_000, 20);
      expect(emitter.snapshot().buffered).toBeGreaterThan(0);
      await redis.start?.();
      await waitUntil(async () => (await cdrCount('rr-b-')) === 100, 30_000, 100);
      expect(emitter.snapshot()).toMatchObject({ dropped: 0, buffered: 0 });
      expect(await cdrCount('rr-')).toBe(200);
    } finally {
      await emitter.close();
      await w.close();
      await queue.close();
      await redis.stop();
    }
  });

  it('past max_buffered the loss is counted and logged, never unbounded memory', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => { lines.push(s); } });
    const registry = new Registry();
    const emitter = new AccEmitter({ node: 'n1', sink: { send: () => Promise.reject(new Error('redis down')) }, flushMs: 20, maxBatch: 10, maxBuffered: 100, registry, logger: log });
    try {
      emitCalls(emitter, 'ov-', 50);
      const s = emitter.snapshot();
      expect(s.buffered).toBe(100);
      expect(s.dropped).toBe(s.emitted + s.dropped - 100);
      expect(s.dropped).toBeGreaterThan(0);
      expect(await registry.getSingleMetricAsString('sbc_acc_events_dropped_total')).toContain(`reason="buffer_full"} ${s.dropped}`);
      expect(lines.some((l) => l.includes('events dropped'))).toBe(true);
    } finally {
      await emitter.close(100);
    }
  });
});
