// A real Redis Cluster on loopback for tests: `masters` redis-server processes
// with --cluster-enabled (each with `replicasPerMaster` replicas), joined with
// `redis-cli --cluster create`. Ports (client and cluster bus) come from the
// worker's test port block. A short cluster-node-timeout makes a replica take
// over a killed master within about two seconds (failover tests).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitForPort } from './servers.ts';

export interface RedisClusterNode {
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
}

export interface RedisClusterHandle {
  nodes: RedisClusterNode[];
  /** startup-node URLs for a client (all nodes) */
  urls: string[];
  /** current masters, asked from the cluster itself */
  masters(): Promise<RedisClusterNode[]>;
  /** the replicas of the master on `port`, asked from the cluster itself */
  replicasOf(port: number): Promise<RedisClusterNode[]>;
  /** keys matching `match` on each current master (SCAN per master: a Redis Cluster has no global SCAN) */
  keysPerMaster(match: string): Promise<number[]>;
  /** kills one node (SIGKILL), as a crash would */
  kill(port: number): Promise<void>;
  /** waits until every live node reports cluster_state:ok and slots are all served */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** cluster-node-timeout, ms: how soon a dead master is failed over. Default 1000. */
  nodeTimeoutMs?: number;
}

export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'sbc-redis-cluster-'));
  const children = new Map<number, ChildProcess>();
  const nodes: RedisClusterNode[] = [];
  const stop = async () => {
    await Promise.all([...children.values()].map((c) => killChild(c)));
    children.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const port = await freePort();
      const busPort = await freePort();
      const child = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-port', String(busPort),
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 1000),
        // a replica may take over at once whatever its replication lag (tests kill masters under load)
        '--cluster-replica-validity-factor', '0',
        '--dir', dir,
      ], { stdio: 'ignore' });
      child.on('error', () => undefined);
      children.set(port, child);
      nodes.push({ port, url: `redis://127.0.0.1:${port}` });
    }
    await Promise.all(nodes.map((n) => waitForPort(n.port)));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes']);
    /** CLUSTER NODES from a live node, one array of fields per line */
    const clusterNodes = async (): Promise<string[][]> => {
      const live = nodes.filter((n) => children.has(n.port));
      const r = new Redis(live[0].port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await r.connect();
        const text = await r.call('CLUSTER', 'NODES') as string;
        return text.trim().split('\n').map((l) => l.split(' '));
      } finally {
        r.disconnect();
      }
    };
    const nodeOf = (addr: string): RedisClusterNode => {
      const port = Number(addr.split('@')[0].split(':')[1]);
      return { port, url: `redis://127.0.0.1:${port}` };
    };
    const handle: RedisClusterHandle = {
      nodes,
      urls: nodes.map((n) => n.url),
      async keysPerMaster(match: string) {
        return Promise.all((await handle.masters()).map(async (m) => {
          const r = new Redis(m.port, '127.0.0.1');
          try {
            let n = 0;
            let cursor = '0';
            do {
              const [next, keys] = await r.scan(cursor, 'MATCH', match, 'COUNT', 1000);
              n += keys.length;
              cursor = next;
            } while (cursor !== '0');
            return n;
          } finally {
            r.disconnect();
          }
        }));
      },
      async masters() {
        return (await clusterNodes()).filter((f) => f[2].includes('master') && !f[2].includes('fail') && f.length > 8)
          .map((f) => nodeOf(f[1]));
      },
      async replicasOf(port) {
        const lines = await clusterNodes();
        const id = lines.find((f) => nodeOf(f[1]).port === port)?.[0];
        return lines.filter((f) => f[2].includes('slave') && f[3] === id).map((f) => nodeOf(f[1]));
      },
      async kill(port) {
        const c = children.get(port);
        if (!c) return;
        children.delete(port);
        await killChild(c);
      },
      async waitHealthy(timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const live = nodes.filter((n) => children.has(n.port));
          const ok = await Promise.all(live.map((n) => clusterOk(n.port)));
          if (ok.every(Boolean)) return;
          if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy within ${timeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop,
    };
    await handle.waitHealthy();
    return handle;
  } catch (err) {
    await stop();
    throw err;
  }
}

async function clusterOk(port: number): Promise<boolean> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000 });
  try {
    await r.connect();
    const info = await r.call('CLUSTER', 'INFO') as string;
    return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info);
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

function killChild(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out.slice(-2000)}`))));
  });
}
