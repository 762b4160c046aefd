// The writer: takes batches off the accounting queue, writes them through the
// PostgreSQL store (exactly once per record), closes calls past their deadline
// (node lost, dialog expired), and counts what it wrote. services/cdr-writer
// only reads the config and starts this.
import type { Logger } from 'pino';
import pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AdminError, type AdminCommand } from '#libs/admin';
import { createRedisJobWorker, PermanentJobError, type JobLinkStatus, type JobQueueCounts, type RedisTopology, type ReplayResult } from '#libs/state';
import { parseBatch } from './events.ts';
import { createCallMetrics } from './metrics.ts';
import { migrate, PgAccStore, type Expiry } from './pg-store.ts';

export interface CdrWriterOptions {
  databaseUrl: string;
  redisUrl: string;
  /** a Redis Cluster or Sentinel instead of the single server redisUrl names (the nodes' state.redis) */
  redisTopology?: RedisTopology;
  /** Redis AUTH password of the data connections (every topology) */
  redisPassword?: string;
  cluster: string;
  keyPrefix?: string;
  queue: string;
  concurrency: number;
  expiry: Expiry;
  sweepMs: number;
  /** job lock: a killed writer's batch is retried after it (default 10 s) */
  lockMs?: number;
  /** start fails when Redis does not answer within this (at once when it refuses the password); default 5000, as the node's state */
  redisConnectTimeoutMs?: number;
  registry: Registry;
  logger: Logger;
}

export const WRITER_METRIC_NAMES = {
  batches: 'sbc_acc_writer_batches_total',
  events: 'sbc_acc_writer_events_total',
  deadLetters: 'sbc_acc_dead_letters_total',
  depth: 'sbc_acc_queue_depth',
  lag: 'sbc_acc_queue_lag_seconds',
  open: 'sbc_acc_open_calls',
  /** the node's gauge name: backend="redis" (the queue) and backend="postgres" (the sink) */
  backendUp: 'sbc_backend_up',
} as const;

/** acc.replay_dead: batches put back per call, by default and at most (each is one Redis add and remove) */
const DEFAULT_REPLAY = 1000;
const MAX_REPLAY = 10_000;

export interface CdrWriter {
  readonly admin: AdminCommand[];
  stats(): Promise<WriterStats>;
  /** why the writer cannot do its work (Redis refused the password or is away, PostgreSQL not answering), or undefined when it can */
  notReadyReason(): string | undefined;
  close(): Promise<void>;
}

export interface WriterStats extends JobQueueCounts {
  openCalls: number;
  recordsWritten: number;
  batches: number;
  deadLetters: number;
}

export async function startCdrWriter(opts: CdrWriterOptions): Promise<CdrWriter> {
  const log = opts.logger.child({ lib: 'acc', service: 'cdr-writer' });
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.concurrency + 2, connectionTimeoutMillis: 5000 });
  pool.on('error', (err) => log.warn({ err: err.message }, 'postgres: idle connection error'));
  const applied = await migrate(pool).catch(async (err: unknown) => { await pool.end(); throw err; });
  if (applied.length > 0) log.info({ applied }, 'accounting schema migrated');
  const store = new PgAccStore(pool, opts.expiry);
  const calls = createCallMetrics(opts.registry);
  const r = opts.registry;
  const batchesC = new Counter({ name: WRITER_METRIC_NAMES.batches, help: 'queue batches handled by the writer, by result (ok, repeated: every event already written, error: retried later)', labelNames: ['result'], registers: [r] });
  const eventsC = new Counter({ name: WRITER_METRIC_NAMES.events, help: 'events taken off the queue: new, or repeated (a retried batch; ignored)', labelNames: ['kind'], registers: [r] });
  const deadC = new Counter({ name: WRITER_METRIC_NAMES.deadLetters, help: 'batches that failed every attempt and went to the dead-letter queue (<queue>-dead)', registers: [r] });
  let recordsWritten = 0;
  let batches = 0;
  let deadLetters = 0;
  let ok = true;

  const worker = createRedisJobWorker<unknown>({
    cluster: opts.cluster,
    name: opts.queue,
    url: opts.redisUrl,
    ...(opts.redisTopology !== undefined ? { topology: opts.redisTopology } : {}),
    ...(opts.redisPassword !== undefined ? { redis: { password: opts.redisPassword } } : {}),
    ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}),
    concurrency: opts.concurrency,
    ...(opts.lockMs !== undefined ? { lockMs: opts.lockMs } : {}),
    logger: log,
    async process(data, jobId) {
      const batch = parseBatch(data);
      if (typeof batch === 'string') throw new PermanentJobError(`batch ${jobId}: ${batch}`);
      try {
        const res = await store.applyBatch(batch.events);
        ok = true;
        batches++;
        eventsC.inc({ kind: 'new' }, res.newEvents);
        if (res.repeated > 0) eventsC.inc({ kind: 'repeated' }, res.repeated);
        batchesC.inc({ result: res.newEvents === 0 ? 'repeated' : 'ok' });
        for (const rec of res.records) calls.observe(rec);
        recordsWritten += res.records.length;
      } catch (err) {
        ok = false;
        batchesC.inc({ result: 'error' });
        log.warn({ jobId, err: err instanceof Error ? err.message : String(err) }, 'batch not written, retried with backoff');
        throw err;
      }
    },
    onDeadLetter() { deadLetters++; deadC.inc(); },
  });
  // as the node: a Redis that refuses the password fails the start at once, one that does not answer within the timeout too
  await worker.ready(opts.redisConnectTimeoutMs ?? 5000).catch(async (err: unknown) => {
    await worker.close();
    await pool.end();
    throw err;
  });
  const backendUp = new Gauge({ name: WRITER_METRIC_NAMES.backendUp, help: '1 when the backend answers (redis: the accounting queue; postgres: the last batch or sweep was written)', labelNames: ['backend'], registers: [r], collect() { this.set({ backend: 'postgres' }, ok ? 1 : 0); } });
  backendUp.set({ backend: 'redis' }, 1);
  worker.onStatus((s) => {
    backendUp.set({ backend: 'redis' }, s.up ? 1 : 0);
    logRedis(log, s);
  });

  const counts = async (): Promise<JobQueueCounts> => worker.counts();
  new Gauge({ name: WRITER_METRIC_NAMES.depth, help: 'batches waiting in the accounting queue, by state', labelNames: ['state'], registers: [r], async collect() {
    const c = await counts().catch(() => undefined);
    if (c === undefined) return;
    this.set({ state: 'waiting' }, c.waiting);
    this.set({ state: 'delayed' }, c.delayed);
    this.set({ state: 'active' }, c.active);
    this.set({ state: 'dead' }, c.dead);
  } });
  new Gauge({ name: WRITER_METRIC_NAMES.lag, help: 'age of the oldest batch waiting in the accounting queue', registers: [r], async collect() {
    const c = await counts().catch(() => undefined);
    if (c !== undefined) this.set(c.lagMs / 1000);
  } });
  new Gauge({ name: WRITER_METRIC_NAMES.open, help: 'calls being assembled (waiting for their final answer or BYE)', registers: [r], async collect() {
    const n = await store.openCalls().catch(() => undefined);
    if (n !== undefined) this.set(n);
  } });

  let sweeping: Promise<void> | undefined;
  const sweep = async () => {
    // without the queue's oldest pending batch no call can be closed safely; Redis's state is reported on its own
    if (!worker.status().up) return;
    try {
      for (;;) {
        // only up to where every event is known: a backlog (the writer was down, a node's buffer
        // just arrived) may hold the BYE of a call that looks expired
        const c = await counts().catch(() => undefined);
        if (c === undefined) return;
        const upTo = Math.min(Date.now(), c.oldestPendingAt ?? Number.POSITIVE_INFINITY);
        const recs = await store.sweep(upTo);
        ok = true;
        for (const rec of recs) calls.observe(rec);
        recordsWritten += recs.length;
        if (recs.length > 0) log.info({ closed: recs.length, reasons: [...new Set(recs.map((x) => x.endReason))] }, 'open calls past their deadline closed');
        if (recs.length < 500) return;
      }
    } catch (err) {
      ok = false;
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'sweep failed, retried next interval');
    }
  };
  const timer = setInterval(() => { sweeping ??= sweep().finally(() => { sweeping = undefined; }); }, opts.sweepMs);
  timer.unref();

  const stats = async (): Promise<WriterStats> => ({ ...(await counts()), openCalls: await store.openCalls(), recordsWritten, batches, deadLetters });
  const redisProblem = (): string | undefined => {
    const s = worker.status();
    return s.up ? undefined : `redis ${s.authRefused ? 'refused authentication' : 'not answering'}: ${s.error}`;
  };
  const answer = async (): Promise<WriterStats> => {
    // Redis away or refusing the password: answer now with why, not when (if ever) it comes back
    const problem = redisProblem();
    if (problem !== undefined) throw new AdminError(problem, 503);
    return stats().catch((err: unknown) => { throw new AdminError(err instanceof Error ? err.message : String(err), 503); });
  };
  const replayDead = async (limitParam: unknown): Promise<ReplayResult> => {
    const limit = limitParam === undefined ? DEFAULT_REPLAY : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REPLAY) throw new AdminError(`limit must be a whole number from 1 to ${MAX_REPLAY}`);
    const problem = redisProblem();
    if (problem !== undefined) throw new AdminError(problem, 503);
    return worker.replayDead(limit).catch((err: unknown) => { throw new AdminError(err instanceof Error ? err.message : String(err), 503); });
  };
  log.info({ queue: opts.queue, cluster: opts.cluster, concurrency: opts.concurrency }, 'cdr-writer started');
  return {
    admin: [
      { name: 'acc.stats', mutates: false, help: 'Accounting queue depth, lag of the oldest batch, dead letters, open calls and records written by this writer.', run: answer },
      {
        name: 'acc.replay_dead',
        mutates: true,
        help: 'After fixing what made batches fail (PostgreSQL, a bug), puts dead-lettered batches back into the queue, oldest first: {"limit":1000}. A batch whose events were already written counts as repeated, not twice.',
        params: { limit: `most batches to replay (1..${MAX_REPLAY}, default ${DEFAULT_REPLAY})` },
        run: (p) => replayDead(p.limit),
      },
    ],
    stats,
    notReadyReason: () => redisProblem() ?? (ok ? undefined : 'postgres not answering'),
    async close() {
      clearInterval(timer);
      await worker.close();
      await sweeping;
      await pool.end();
    },
  };
}

/** One line per change of the queue's Redis link, naming the fix when the password is the problem. */
function logRedis(log: Logger, s: JobLinkStatus): void {
  if (s.up) log.info({ backend: 'redis' }, 'redis answers again: reading the accounting queue');
  else if (s.authRefused) log.error({ backend: 'redis', err: s.error }, 'redis refused authentication (NOAUTH/WRONGPASS): check cdr_writer.redis_password and sentinel_password; not ready until Redis accepts them');
  else log.warn({ backend: 'redis', err: s.error }, 'redis not answering: not ready, reconnecting');
}
