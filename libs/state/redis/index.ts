// The Redis backend: one ioredis client per node (a single server, a Redis
// Cluster or a Sentinel-managed master; client.ts) whose calls issued in one
// turn share a write (a socket corked for the turn; per shard on a Cluster), scripts loaded once, and fast
// failure instead of queueing while Redis is away (docs/state.md, "Faults").
import { Cluster, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { BatchingCounter } from '../counter-batch.ts';
import { StateError } from '../errors.ts';
import { keySpace } from '../keys.ts';
import { StatusHub } from '../status.ts';
import type { CounterOptions, SharedState } from '../types.ts';
import { redisCallLoad } from './call-load.ts';
import { redisConfig } from './config.ts';
import { redisCounterSink } from './counters.ts';
import { redisDialogs } from './dialogs.ts';
import { isAuthFailure } from './errors.ts';
import { createClient, describeTopology, type RedisClient, type RedisTopology } from './client.ts';
import { watchClusterSlots } from './cluster-health.ts';
import { redisLeases } from './leases.ts';
import { redisLocations } from './locations.ts';
import { redisTables } from './tables.ts';

export interface RedisStateOptions {
  /** SBC cluster name: part of every key. /^[A-Za-z0-9_.-]{1,64}$/ */
  cluster: string;
  /** redis:// or rediss:// (TLS) URL, may carry user:password (single server). */
  url?: string;
  /** A Redis Cluster or Sentinel instead of the single server `url` names. */
  topology?: RedisTopology;
  /** Passed to ioredis (password, tls: { ca }, db, ...). Fields the URL sets
   *  win over the same fields here; the fault-handling settings this backend
   *  needs (offline queue off, batching, timeouts) win over both. */
  redis?: RedisOptions;
  /** First segment of every key; default "sbc". */
  keyPrefix?: string;
  /** A command with no reply after this many ms rejects (STATE_UNAVAILABLE). Default 1000. */
  commandTimeoutMs?: number;
  /** createRedisState() rejects when Redis is not ready within this. Default 5000. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnect attempts. Default 1000 ms. */
  maxReconnectDelayMs?: number;
  /** Redis Cluster: how often every master is PINGed for the slot coverage (SharedState.shards). Default 1000. */
  slotCheckIntervalMs?: number;
  /** Caller's clock, used only to express expiries as absolute times. Default Date.now. */
  now?: () => number;
  logger?: Logger;
}

/** Connects and resolves once Redis answers; rejects (and closes) otherwise. */
export async function createRedisState(opts: RedisStateOptions): Promise<SharedState> {
  const keys = keySpace(opts.cluster, opts.keyPrefix);
  const now = opts.now ?? Date.now;
  const log = opts.logger?.child({ lib: 'state', backend: 'redis', cluster: opts.cluster });
  const topology: RedisTopology = opts.topology ?? { kind: 'single', ...(opts.url !== undefined ? { url: opts.url } : {}) };
  const where = describeTopology(topology, opts.redis);
  const redis = createClient({
    topology,
    ...(opts.redis ? { redis: opts.redis } : {}),
    commandTimeoutMs: opts.commandTimeoutMs ?? 1000,
    maxReconnectDelayMs: opts.maxReconnectDelayMs ?? 1000,
  });

  const hub = new StatusHub({ up: false, error: new StateError('STATE_UNAVAILABLE', `connecting to ${where}`) });
  // the last error since the connection was last ready: the cause an outage reports
  let lastError: Error | undefined;
  let authLogged = false;
  redis.on('ready', () => {
    const wasDown = !hub.get().up;
    authLogged = false;
    lastError = undefined;
    hub.up();
    const s = hub.get();
    if (wasDown && s.up && s.reconnect) log?.info({ where }, 'redis reconnected');
  });
  redis.on('error', (err: Error) => {
    lastError = err;
    if (hub.get().up) log?.warn({ where, err: err.message }, 'redis error');
    else if (isAuthFailure(err.message) && !authLogged) {
      // reconnect errors are quiet while down, but a refused password is a config fault: say so once
      authLogged = true;
      log?.error({ where, err: err.message }, 'redis refused authentication (NOAUTH/WRONGPASS): check state.redis.password (or the URL) and sentinel_password; not ready until Redis accepts them');
    }
  });
  redis.on('close', () => {
    const wasUp = hub.get().up;
    hub.down(new StateError('STATE_UNAVAILABLE', `connection to ${where} lost${lastError ? `: ${lastError.message}` : ''}`, lastError));
    if (wasUp) log?.warn({ where }, 'redis down');
  });

  await waitForReady(redis, where, opts.connectTimeoutMs ?? 5000);

  const shards = redis instanceof Cluster ? watchClusterSlots(redis, opts.slotCheckIntervalMs ?? 1000) : undefined;
  await shards?.first; // so a node starts with the true sbc_backend_up
  const counters = new Set<BatchingCounter>();
  let closed = false;
  return {
    backend: 'redis',
    cluster: opts.cluster,
    counters(name: string, copts: CounterOptions) {
      if (closed) throw new StateError('STATE_CLOSED', `counters(${name}) after close()`);
      const c = new BatchingCounter(name, copts, redisCounterSink(redis, keys, name, copts.windowMs), now);
      counters.add(c);
      return c;
    },
    tables: redisTables(redis, keys, now),
    dialogs: redisDialogs(redis, keys),
    callLoad: redisCallLoad(redis, keys),
    leases: redisLeases(redis, keys),
    locations: redisLocations(redis, keys, now),
    config: redisConfig(redis, keys),
    status: () => hub.get(),
    onStatus: (cb) => hub.on(cb),
    ...(shards !== undefined ? { shards: { get: () => shards.get(), on: (cb) => shards.on(cb) } } : {}),
    async close() {
      if (closed) return;
      closed = true;
      shards?.stop();
      await Promise.all([...counters].map((c) => c.close()));
      hub.clear();
      // QUIT lets in-flight replies arrive; when the link is down, just drop it.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}

async function waitForReady(redis: RedisClient, where: string, timeoutMs: number): Promise<void> {
  let lastError: Error | undefined;
  const onError = (err: Error) => { lastError = err; };
  redis.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms (connectTimeoutMs)`), timeoutMs);
      const fail = (why: string) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        redis.off('error', onAuth);
        reject(new StateError('STATE_UNAVAILABLE', `Redis at ${where} ${why}${lastError ? `: ${lastError.message}` : ''}`, lastError));
      };
      const onReady = () => { clearTimeout(timer); redis.off('error', onAuth); resolve(); };
      // A wrong password will not fix itself by retrying: fail at once.
      const onAuth = (err: Error) => { if (isAuthFailure(err.message)) fail('refused authentication (check the password in the URL or redis.password)'); };
      redis.once('ready', onReady);
      redis.on('error', onAuth);
      redis.connect().catch((err: unknown) => { lastError = err instanceof Error ? err : new Error(String(err)); });
    });
  } catch (err) {
    redis.disconnect();
    throw err;
  } finally {
    redis.off('error', onError);
  }
}
