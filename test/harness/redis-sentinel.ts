// A Sentinel-managed Redis on loopback for tests: one master, one replica and
// `sentinels` sentinel processes (`redis-server <conf> --sentinel`) watching
// group "sbc" with quorum 1 and a short down-after, so a forced or real
// failover completes in a few seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitForPort } from './servers.ts';

export interface RedisSentinelHandle {
  /** master group name */
  name: string;
  /** sentinel URLs for a client */
  sentinels: string[];
  /** port of the current master, as the sentinels see it */
  masterPort(): Promise<number>;
  /** asks a sentinel to fail over now (SENTINEL FAILOVER) */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisSentinel(opts: { sentinels?: number } = {}): Promise<RedisSentinelHandle> {
  const name = 'sbc';
  const dir = mkdtempSync(join(tmpdir(), 'sbc-redis-sentinel-'));
  const children: ChildProcess[] = [];
  const start = (args: string[]) => {
    const c = spawn('redis-server', args, { stdio: 'ignore' });
    c.on('error', () => undefined);
    children.push(c);
  };
  const stop = async () => {
    await Promise.all(children.map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const master = await freePort();
    const replica = await freePort();
    const base = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    start(['--port', String(master), ...base]);
    start(['--port', String(replica), ...base, '--replicaof', '127.0.0.1', String(master)]);
    await Promise.all([waitForPort(master), waitForPort(replica)]);
    const sentinelPorts: number[] = [];
    for (let i = 0; i < (opts.sentinels ?? 1); i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(conf, [
        `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
      ].join('\n') + '\n');
      start([conf, '--sentinel']);
      sentinelPorts.push(port);
    }
    await Promise.all(sentinelPorts.map((p) => waitForPort(p)));
    const ask = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> => {
      const r = new Redis(sentinelPorts[0], '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      try { await r.connect(); return await fn(r); } finally { r.disconnect(); }
    };
    const handle: RedisSentinelHandle = {
      name,
      sentinels: sentinelPorts.map((p) => `redis://127.0.0.1:${p}`),
      masterPort: () => ask(async (r) => Number((await r.call('SENTINEL', 'get-master-addr-by-name', name) as string[])[1])),
      failover: () => ask(async (r) => { await r.call('SENTINEL', 'failover', name); }),
      stop,
    };
    // the sentinel has found the replica (a failover needs one)
    const deadline = Date.now() + 15_000;
    for (;;) {
      const replicas = await ask((r) => r.call('SENTINEL', 'replicas', name) as Promise<unknown[]>).catch(() => []);
      if (replicas.length > 0) break;
      if (Date.now() > deadline) throw new Error('sentinel did not discover the replica within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    return handle;
  } catch (err) {
    await stop();
    throw err;
  }
}
