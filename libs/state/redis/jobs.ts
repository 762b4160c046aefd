// Durable job queues on Redis (BullMQ): producers on the nodes add batches,
// a separate consumer service takes them. Jobs are named by the producer
// (jobId): adding the same id twice keeps one job, so a producer may retry an
// add whose reply it never got. Failed jobs are retried with exponential
// backoff; a job that fails every attempt moves to a dead-letter queue
// (`<name>-dead`) and is reported. Finished jobs are kept only within bounds
// (removeOnComplete / removeOnFail), so the queue never grows with history.
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { StateError } from '../errors.ts';
import { keySpace } from '../keys.ts';
import { isAuthFailure } from './errors.ts';
import { describeTopology, hostPort, type RedisTopology } from './client.ts';

export interface JobQueueOptions {
  /** SBC cluster name (hash tag of the queue's keys) */
  cluster: string;
  /** queue name, /^[a-z][a-z0-9-]{0,31}$/ */
  name: string;
  url?: string;
  /** a Redis Cluster or Sentinel instead of the single server `url` names (as the node's state) */
  topology?: RedisTopology;
  redis?: RedisOptions;
  keyPrefix?: string;
  /** an add with no reply after this many ms rejects; default 2000 */
  commandTimeoutMs?: number;
  logger?: Logger;
}

export interface JobQueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** jobs in the dead-letter queue */
  dead: number;
  /** age in ms of the oldest job not done yet (waiting, active, delayed; 0 when none): how far the consumer lags */
  lagMs: number;
  /** when that job was added (the producer's clock); absent when nothing is pending */
  oldestPendingAt?: number;
}

/** The producer side. */
export interface JobQueue<T> {
  /** Adds one job; resolves once Redis has it. Rejects at once while Redis is down (nothing queues in memory here). */
  add(jobId: string, data: T): Promise<void>;
  counts(): Promise<JobQueueCounts>;
  close(): Promise<void>;
}

export interface JobRetention {
  /** finished jobs kept (newest), and for at most this many seconds */
  completeCount: number;
  completeAgeS: number;
  /** failed jobs kept (they are also copied to the dead-letter queue) */
  failCount: number;
}

export const DEFAULT_RETENTION: JobRetention = { completeCount: 1000, completeAgeS: 3600, failCount: 5000 };

/** How a job is retried: set by the producer on each job (BullMQ keeps it with the job). */
export interface JobRetry {
  /** tries per job before it goes to the dead-letter queue */
  attempts: number;
  /** first retry delay, doubled each time */
  backoffMs: number;
}

export const DEFAULT_RETRY: JobRetry = { attempts: 8, backoffMs: 500 };

export interface JobWorkerOptions<T> extends JobQueueOptions {
  /** handles one job; throwing makes it retried (the job's attempts, exponential backoff) */
  process(data: T, jobId: string): Promise<void>;
  /** jobs handled at once by this worker; default 1 */
  concurrency?: number;
  retention?: JobRetention;
  /** how long a job stays claimed by a worker without renewal (a dead worker's job is retried after it); default 10000 */
  lockMs?: number;
  /** a job gave up: moved to the dead-letter queue */
  onDeadLetter?(jobId: string, error: string): void;
  /** retries of a job replayed from the dead-letter queue (as the producer's); default DEFAULT_RETRY */
  retry?: JobRetry;
}

/** What the dead-letter queue holds per job that gave up. */
export interface DeadLetter<T> {
  jobId?: string;
  data: T;
  error: string;
  failedAt: number;
}

export interface ReplayResult {
  /** dead letters put back into the queue as new jobs */
  replayed: number;
  /** dead letters still waiting (beyond the limit) */
  left: number;
}

export interface JobWorker {
  close(): Promise<void>;
}

/** Whether the worker's Redis connections answer; when not, the last reason Redis gave (never a password). */
export type JobLinkStatus =
  | { up: true }
  | { up: false; error: string; /** Redis refused the credentials (NOAUTH, WRONGPASS): only a config change fixes it */ authRefused: boolean };

/** The consumer, with what its service needs for readiness, metrics and a prompt admin answer. */
export interface RedisJobWorker extends JobWorker {
  /** rejects at once (STATE_UNAVAILABLE) while Redis does not answer, instead of waiting for it */
  counts(): Promise<JobQueueCounts>;
  status(): JobLinkStatus;
  /** called when the link goes up or down, and when the reason it is down changes */
  onStatus(cb: (s: JobLinkStatus) => void): void;
  /** resolves once Redis answers; rejects at once when it refuses the credentials, or after timeoutMs */
  ready(timeoutMs: number): Promise<void>;
  /**
   * Puts up to `limit` dead letters (oldest first) back into the queue, each
   * as a new job with the producer's retries, and removes them from the
   * dead-letter queue. A crash between the two replays a letter twice: job
   * handlers must be idempotent (the accounting writer is).
   */
  replayDead(limit: number): Promise<ReplayResult>;
}

/** Thrown by a job handler for a job no retry can fix (malformed data): it goes to the dead-letter queue at once. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

const NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;

function connect(opts: JobQueueOptions, blocking: boolean): Redis | Cluster {
  const options: RedisOptions = {
    ...opts.redis,
    // a producer fails fast while Redis is away (the caller buffers); a blocking consumer waits for it
    ...(blocking ? { maxRetriesPerRequest: null } : { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: opts.commandTimeoutMs ?? 2000 }),
    connectTimeout: opts.redis?.connectTimeout ?? 2000,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  };
  const t: RedisTopology = opts.topology ?? { kind: 'single', ...(opts.url !== undefined ? { url: opts.url } : {}) };
  // BullMQ's scripts touch one queue's keys, all tagged {<queue>} (jobPrefix): legal on a Redis Cluster
  const redis = t.kind === 'cluster'
    ? new Cluster(t.nodes.map(hostPort), { redisOptions: options, ...(blocking ? {} : { enableOfflineQueue: false }) })
    : t.kind === 'sentinel'
      ? new Redis({ ...options, sentinels: t.sentinels.map(hostPort), name: t.name, ...(t.sentinelPassword !== undefined ? { sentinelPassword: t.sentinelPassword } : {}) })
      : t.url ? new Redis(t.url, options) : new Redis(options);
  const where = describeTopology(t, opts.redis);
  let up = true;
  redis.on('error', (err: Error) => {
    if (up) opts.logger?.warn({ where, queue: opts.name, err: err.message }, 'job queue: redis error');
    up = false;
  });
  redis.on('ready', () => { up = true; });
  return redis;
}

/** Follows one connection: up once 'ready', down from 'close' with the last error Redis or the socket gave. */
class Link {
  up: boolean;
  error = 'not connected yet';
  constructor(redis: Redis | Cluster, changed: () => void) {
    this.up = redis.status === 'ready';
    redis.on('ready', () => { this.up = true; this.error = ''; changed(); });
    redis.on('error', (err: Error) => {
      const was = this.error;
      this.error = err.message;
      if (!this.up && was !== err.message) changed();
    });
    redis.on('close', () => {
      if (!this.up) return;
      this.up = false;
      this.error ||= 'connection lost';
      changed();
    });
  }
}

/** BullMQ prefix of a queue: every key of the queue in one slot (keys.ts jobQueue, docs/state.md). */
export function jobPrefix(cluster: string, queue: string, keyPrefix?: string): string {
  return keySpace(cluster, keyPrefix).jobQueue(queue);
}

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new Error(`job queue name ${JSON.stringify(name)} must match ${NAME_RE}`);
}

export function deadLetterName(name: string): string {
  return `${name}-dead`;
}

async function countsOf(queue: Queue, dead: Queue): Promise<JobQueueCounts> {
  const [c, d, oldest] = await Promise.all([
    queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'),
    dead.getJobCounts('waiting'),
    // the oldest job of each pending state (ascending order, first one)
    queue.getJobs(['wait', 'active', 'delayed', 'prioritized', 'paused'], 0, 0, true),
  ]);
  const first = oldest.length === 0 ? undefined : Math.min(...oldest.map((j) => j.timestamp));
  return {
    waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
    active: c.active ?? 0,
    delayed: c.delayed ?? 0,
    failed: c.failed ?? 0,
    completed: c.completed ?? 0,
    dead: d.waiting ?? 0,
    lagMs: first !== undefined ? Math.max(0, Date.now() - first) : 0,
    ...(first !== undefined ? { oldestPendingAt: first } : {}),
  };
}

export function createRedisJobQueue<T>(opts: JobQueueOptions & { retry?: JobRetry; retention?: JobRetention }): JobQueue<T> {
  checkName(opts.name);
  const connection = connect(opts, false);
  const retry = opts.retry ?? DEFAULT_RETRY;
  const retention = opts.retention ?? DEFAULT_RETENTION;
  const queue = new Queue(opts.name, {
    connection,
    prefix: jobPrefix(opts.cluster, opts.name, opts.keyPrefix),
    skipVersionCheck: true,
    defaultJobOptions: {
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      removeOnComplete: { count: retention.completeCount, age: retention.completeAgeS },
      removeOnFail: { count: retention.failCount },
    },
  });
  const dead = new Queue(deadLetterName(opts.name), { connection, prefix: jobPrefix(opts.cluster, deadLetterName(opts.name), opts.keyPrefix), skipVersionCheck: true });
  queue.on('error', () => undefined);
  dead.on('error', () => undefined);
  return {
    async add(jobId, data) {
      if (connection.status !== 'ready') throw new StateError('STATE_UNAVAILABLE', `job queue ${opts.name}: redis not connected (${connection.status})`);
      try {
        await queue.add('batch', data, { jobId });
      } catch (err) {
        throw new StateError('STATE_UNAVAILABLE', `job queue ${opts.name}: ${err instanceof Error ? err.message : String(err)}`, err);
      }
    },
    counts: () => countsOf(queue, dead),
    async close() {
      await queue.close().catch(() => undefined);
      await dead.close().catch(() => undefined);
      if (connection.status === 'ready') await connection.quit().catch(() => connection.disconnect());
      else connection.disconnect();
    },
  };
}

/** The consumer side: takes jobs, retries failures with backoff, dead-letters the hopeless ones. */
export function createRedisJobWorker<T>(opts: JobWorkerOptions<T>): RedisJobWorker {
  checkName(opts.name);
  const retention = opts.retention ?? DEFAULT_RETENTION;
  const connection = connect(opts, true);
  const side = connect(opts, true);
  const listeners: ((s: JobLinkStatus) => void)[] = [];
  let last = '';
  const changed = () => {
    const s = status();
    const key = s.up ? 'up' : s.error;
    if (key === last) return;
    last = key;
    for (const cb of listeners) cb(s);
  };
  const links = [new Link(connection, changed), new Link(side, changed)];
  const status = (): JobLinkStatus => {
    const down = links.find((l) => !l.up);
    return down === undefined ? { up: true } : { up: false, error: down.error, authRefused: isAuthFailure(down.error) };
  };
  const queue = new Queue(opts.name, { connection: side, prefix: jobPrefix(opts.cluster, opts.name, opts.keyPrefix), skipVersionCheck: true });
  const dead = new Queue(deadLetterName(opts.name), { connection: side, prefix: jobPrefix(opts.cluster, deadLetterName(opts.name), opts.keyPrefix), skipVersionCheck: true, defaultJobOptions: { removeOnComplete: true } });
  queue.on('error', () => undefined);
  dead.on('error', () => undefined);
  const worker = new Worker<T>(opts.name, async (job: Job<T>) => {
    try {
      await opts.process(job.data, job.id ?? '');
    } catch (err) {
      if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
      throw err;
    }
  }, {
    connection,
    prefix: jobPrefix(opts.cluster, opts.name, opts.keyPrefix),
    skipVersionCheck: true,
    concurrency: opts.concurrency ?? 1,
    // a job whose worker died (kill -9) goes back to waiting once its lock lapses: lockMs, checked every lockMs / 2
    lockDuration: opts.lockMs ?? 10_000,
    stalledInterval: Math.max(500, Math.floor((opts.lockMs ?? 10_000) / 2)),
    maxStalledCount: 10,
    removeOnComplete: { count: retention.completeCount, age: retention.completeAgeS },
    removeOnFail: { count: retention.failCount },
  });
  // while Redis is away BullMQ reports every reconnect attempt: the link's transitions are the news, not these
  worker.on('error', (err) => { if (status().up) opts.logger?.warn({ queue: opts.name, err: err.message }, 'job worker: error'); });
  worker.on('failed', (job, err) => {
    if (job === undefined) return;
    // BullMQ retries by itself (the job's attempts and backoff): a job still due for a retry is delayed, not failed
    void job.getState().then((state) => {
      if (state === 'failed') deadLetter(job, err);
    }, () => undefined);
  });
  const deadLetter = (job: Job<T>, err: Error) => {
    opts.logger?.error({ queue: opts.name, jobId: job.id, attempts: job.attemptsMade, err: err.message }, 'job failed every attempt: moved to the dead-letter queue');
    // the job itself stays in the failed set (removeOnFail keeps failCount); the copy is for operators
    const letter: DeadLetter<T> = { jobId: job.id, data: job.data, error: err.message, failedAt: Date.now() };
    void dead.add('dead', letter, { jobId: job.id })
      .catch((e: unknown) => opts.logger?.error({ queue: opts.name, jobId: job.id, err: e instanceof Error ? e.message : String(e) }, 'dead-letter copy failed: the job is only in the failed set'));
    opts.onDeadLetter?.(job.id ?? '', err.message);
  };
  const retry = opts.retry ?? DEFAULT_RETRY;
  let replays = 0;
  const replay = async (limit: number): Promise<ReplayResult> => {
    const letters = await dead.getJobs(['waiting'], 0, limit - 1, true);
    let replayed = 0;
    for (const l of letters) {
      const letter = l.data as DeadLetter<T>;
      // a new id: the original's id is still taken by its failed job (kept by removeOnFail)
      await queue.add('batch', letter.data, {
        jobId: `${letter.jobId ?? l.id}-replay-${Date.now()}-${++replays}`,
        attempts: retry.attempts,
        backoff: { type: 'exponential', delay: retry.backoffMs },
        removeOnComplete: { count: retention.completeCount, age: retention.completeAgeS },
        removeOnFail: { count: retention.failCount },
      });
      await l.remove();
      replayed++;
    }
    opts.logger?.info({ queue: opts.name, replayed }, 'dead letters put back into the queue');
    return { replayed, left: (await dead.getJobCounts('waiting')).waiting ?? 0 };
  };
  const commandTimeoutMs = opts.commandTimeoutMs ?? 2000;
  return {
    async counts() {
      // the side connection waits for Redis forever (BullMQ wants that); a question about the queue must not
      const s = status();
      if (!s.up) throw new StateError('STATE_UNAVAILABLE', `job queue ${opts.name}: redis not ready: ${s.error}`);
      return withTimeout(countsOf(queue, dead), commandTimeoutMs, `job queue ${opts.name}: redis did not answer within ${commandTimeoutMs} ms`);
    },
    async replayDead(limit) {
      const s = status();
      if (!s.up) throw new StateError('STATE_UNAVAILABLE', `job queue ${opts.name}: redis not ready: ${s.error}`);
      return replay(limit);
    },
    status,
    onStatus: (cb) => { listeners.push(cb); },
    ready: (timeoutMs) => new Promise<void>((resolve, reject) => {
      const check = (s: JobLinkStatus) => {
        if (s.up) done();
        else if (s.authRefused) done(new StateError('STATE_UNAVAILABLE', `job queue ${opts.name}: Redis at ${describeTopology(opts.topology ?? { kind: 'single', ...(opts.url !== undefined ? { url: opts.url } : {}) }, opts.redis)} refused authentication (check the password): ${s.error}`));
      };
      const timer = setTimeout(() => done(new StateError('STATE_UNAVAILABLE', `job queue ${opts.name}: Redis not ready within ${timeoutMs} ms: ${(status() as { error?: string }).error ?? ''}`)), timeoutMs);
      const done = (err?: Error) => {
        clearTimeout(timer);
        const i = listeners.indexOf(check);
        if (i >= 0) listeners.splice(i, 1);
        if (err) reject(err); else resolve();
      };
      listeners.push(check);
      check(status());
    }),
    async close() {
      await worker.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      await dead.close().catch(() => undefined);
      for (const c of [connection, side]) {
        if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
        else c.disconnect();
      }
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new StateError('STATE_UNAVAILABLE', message)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
