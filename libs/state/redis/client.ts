// The ioredis client behind the Redis backend: one server, a Redis Cluster
// (ioredis Cluster: commands routed by slot, MOVED/failover followed), or a
// master found through Sentinel. All three get the same fail-fast settings
// (docs/state.md, "Failure behaviour"). Commands sent in one turn of the
// event loop share one write, by a socket corked for the turn (writesPerTurn):
// one server or a Sentinel master, and each shard of a Cluster, where a batch
// also waits while the shard's previous one is unanswered. Both do what ioredis
// auto-pipelining does, without its cost per batch.
import { Cluster, Redis, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import { redactUrl } from './errors.ts';

/** What the stores talk to: the command surface is the same for all three. */
export type RedisClient = Redis | Cluster;

export type RedisTopology =
  | { kind: 'single'; url?: string }
  /** Startup nodes (any few masters or replicas); the rest are discovered. */
  | { kind: 'cluster'; nodes: string[] }
  /** Sentinels to ask for the current master of group `name`. */
  | { kind: 'sentinel'; sentinels: string[]; name: string; sentinelPassword?: string };

/** The topology a node's config names (state.redis.mode and its fields). */
export function topologyOf(c: { mode: 'single' | 'cluster' | 'sentinel'; url?: string; nodes: readonly string[]; sentinelName: string; sentinelPassword?: string }): RedisTopology {
  if (c.mode === 'cluster') return { kind: 'cluster', nodes: [...c.nodes] };
  if (c.mode === 'sentinel') return { kind: 'sentinel', sentinels: [...c.nodes], name: c.sentinelName, ...(c.sentinelPassword !== undefined ? { sentinelPassword: c.sentinelPassword } : {}) };
  return { kind: 'single', ...(c.url !== undefined ? { url: c.url } : {}) };
}

export interface ClientSettings {
  topology: RedisTopology;
  /** ioredis options (password, tls, username, db...) for the data connections. */
  redis?: RedisOptions;
  commandTimeoutMs: number;
  maxReconnectDelayMs: number;
}

/** host:port of a redis:// / rediss:// URL, or of a bare "host:port". */
export function hostPort(u: string): { host: string; port: number } {
  const url = new URL(/^[a-z]+:\/\//i.test(u) ? u : `redis://${u}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 6379 };
}

/** Credentials and TLS a node URL carries (cluster startup nodes share them). */
function urlOptions(u: string): RedisOptions {
  if (!/^[a-z]+:\/\//i.test(u)) return {};
  const url = new URL(u);
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Human-readable "where", with no password. */
export function describeTopology(t: RedisTopology, redis?: RedisOptions): string {
  if (t.kind === 'cluster') return `cluster ${t.nodes.map((n) => { const h = hostPort(n); return `${h.host}:${h.port}`; }).join(',')}`;
  if (t.kind === 'sentinel') return `sentinel ${t.name}@${t.sentinels.map((n) => { const h = hostPort(n); return `${h.host}:${h.port}`; }).join(',')}`;
  if (t.url) return redactUrl(t.url);
  return `${redis?.host ?? '127.0.0.1'}:${redis?.port ?? 6379}`;
}

/**
 * Makes a connection's commands issued together leave in one write: the
 * first command corks the socket and a process.nextTick uncorks it, so every
 * command issued by the same synchronous run (e.g. the pipeline steps that
 * start round trips without waiting, then `settle`) goes out as one writev.
 * (Node runs nextTick callbacks as soon as that run unwinds, before the
 * promise jobs it queued: a command issued from a promise continuation
 * starts a new write.) ioredis auto-pipelining does the same with a Pipeline object,
 * a setImmediate and a copy of every defined script per batch: at a few
 * hundred calls per second nearly every batch is one command, and each cost
 * ~25-35 µs of CPU more than a plain write (bench/redis-client.ts).
 *
 * `oneBatchInFlight` (a Cluster shard's connection): a batch started while
 * an earlier one is still unanswered waits, corked, until it is answered, so
 * the commands of several turns leave together, as auto-pipelining does per
 * shard (one pipeline in flight, the rest queued).
 */
function writesPerTurn<T extends Redis>(redis: T, oneBatchInFlight: boolean): T {
  const send = redis.sendCommand.bind(redis);
  let corked = false;
  redis.sendCommand = ((command: Command, stream?: Parameters<Redis['sendCommand']>[1]) => {
    const socket = redis.stream;
    if (!corked && stream === undefined && redis.status === 'ready' && socket !== undefined && socket.writable) {
      corked = true;
      socket.cork();
      const release = () => {
        corked = false;
        socket.uncork();
      };
      // the last command still waiting for its reply: its answer ends the wait (or its failure, when the connection drops)
      const inFlight = oneBatchInFlight ? (redis.commandQueue.peekBack()?.command as Partial<Command> | undefined)?.promise : undefined;
      if (inFlight === undefined) process.nextTick(release);
      else inFlight.then(release, release);
    }
    return send(command, stream);
  }) as Redis['sendCommand'];
  return redis;
}

export function createClient(s: ClientSettings): RedisClient {
  const retry = (times: number) => Math.min(50 * times, s.maxReconnectDelayMs);
  // Fail fast: while disconnected, calls reject at once instead of piling up
  // in memory; callers apply their fail-open / fail-closed policy.
  const failFast: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: s.commandTimeoutMs,
    connectTimeout: s.redis?.connectTimeout ?? 2000,
    retryStrategy: retry,
  };
  const t = s.topology;
  if (t.kind === 'cluster') {
    if (t.nodes.length === 0) throw new Error('Redis Cluster needs at least one startup node');
    const options: ClusterOptions = {
      lazyConnect: true,
      enableAutoPipelining: false,
      enableOfflineQueue: false,
      clusterRetryStrategy: retry,
      // A shard whose master died answers CLUSTERDOWN / closes until a replica
      // is promoted: retry a few times 100 ms apart, bounded by commandTimeout.
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      // Learn a promotion even with no traffic to the moved slots.
      slotsRefreshInterval: 5000,
      redisOptions: { ...urlOptions(t.nodes[0]), ...s.redis, ...failFast },
    };
    const cluster = new Cluster(t.nodes.map(hostPort), options);
    cluster.on('+node', (node: Redis) => writesPerTurn(node, true));
    return cluster;
  }
  if (t.kind === 'sentinel') {
    if (t.sentinels.length === 0) throw new Error('Sentinel needs at least one sentinel address');
    return writesPerTurn(new Redis({
      ...s.redis,
      sentinels: t.sentinels.map(hostPort),
      name: t.name,
      ...(t.sentinelPassword !== undefined ? { sentinelPassword: t.sentinelPassword } : {}),
      ...(s.redis?.tls ? { enableTLSForSentinelMode: true } : {}),
      lazyConnect: true,
      enableAutoPipelining: false,
      sentinelRetryStrategy: retry,
      ...failFast,
    }), false);
  }
  const options: RedisOptions = { ...s.redis, lazyConnect: true, enableAutoPipelining: false, ...failFast };
  return writesPerTurn(t.url ? new Redis(t.url, options) : new Redis(options), false);
}

/** A slot that moved (resharding, or a replica promoted after its master died). */
const REDIRECT = /^(MOVED|ASK) /;

/**
 * Sends a command; on a Redis Cluster, a MOVED/ASK reply makes it learn the
 * new slot map and send once more. ioredis follows redirects of single
 * commands itself (the backend's Cluster client sends nothing else), but not
 * inside an auto-pipeline whose commands got different redirects, as right
 * after a failover: this stays for any caller that pipelines. The refused
 * command did not run, so sending it again is safe.
 */
export function sendFollowingRedirects<T>(redis: RedisClient, send: () => Promise<T>): Promise<T> {
  if (!(redis instanceof Cluster)) return send();
  return send().catch(async (err: unknown) => {
    if (!(err instanceof Error) || !REDIRECT.test(err.message)) throw err;
    await new Promise<void>((resolve) => { redis.refreshSlotsCache(() => resolve()); });
    return send();
  });
}
