// Finds or starts the Redis and NATS servers integration tests talk to.
// Order (issue 3): REDIS_URL / NATS_URL; testcontainers when a Docker engine
// answers; otherwise spawn redis-server / nats-server -js on free loopback
// ports. Otherwise fail with a message naming the three ways.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerHandle {
  url: string;
  /** how it was found: env, container or spawned */
  source: 'env' | 'container' | 'spawned';
  stop(): Promise<void>;
  /** only for spawned servers: kill and start again on the same port (fault tests) */
  restart?: () => Promise<void>;
  kill?: () => Promise<void>;
  start?: () => Promise<void>;
}

// Ports for test servers come from below the kernel's ephemeral range
// (32768–60999): a port the kernel hands out for a bind(0) or an outgoing
// connection elsewhere in the suite can then never be the one a node under test
// is about to bind. Each vitest worker takes its own block so parallel workers
// never pick the same port, and a port counts as free only when both TCP and
// UDP bind on it (nodes listen on both). SBC_TEST_PORT_START / SBC_TEST_PORT_BLOCKS
// move the range, so two test runs on one machine (two checkouts) never share ports.
const PORT_RANGE_START = Number(process.env.SBC_TEST_PORT_START ?? 20_000);
const PORT_BLOCK = 1_000;
const PORT_BLOCKS = Number(process.env.SBC_TEST_PORT_BLOCKS ?? 12);
const workerBlock = Number(process.env.VITEST_POOL_ID ?? 0) % PORT_BLOCKS;
let nextPortOffset = Math.floor(Math.random() * PORT_BLOCK);

function bindsTcp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function bindsUdp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.unref();
    sock.once('error', () => { sock.close(); resolve(false); });
    sock.bind({ port, address: host, exclusive: true }, () => sock.close(() => resolve(true)));
  });
}

/** ports fetch() refuses ("bad port", the Fetch standard's list) that a moved range could reach: tests fetch /metrics and /admin */
const FETCH_BAD_PORTS = new Set([1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < PORT_BLOCK; tries++) {
    const port = PORT_RANGE_START + workerBlock * PORT_BLOCK + (nextPortOffset++ % PORT_BLOCK);
    if (FETCH_BAD_PORTS.has(port)) continue;
    if ((await bindsUdp(port, host)) && (await bindsTcp(port, host))) return port;
  }
  throw new Error(`no free port in this worker's block ${workerBlock} on ${host}`);
}

export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`server on ${host}:${port} did not come up within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

async function dockerAnswers(): Promise<boolean> {
  if (!hasBinary('docker')) return false;
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  return r.status === 0 && r.stdout.toString().trim().length > 0;
}

/** A server process we own; kill/start keep the same port so clients reconnect. */
class SpawnedServer implements ServerHandle {
  source = 'spawned' as const;
  private child?: ChildProcess;
  constructor(readonly url: string, private readonly port: number, private readonly cmd: string, private readonly args: string[], private readonly cleanupDir?: string) {}
  async start(): Promise<void> {
    const child = spawn(this.cmd, this.args, { stdio: 'ignore' });
    this.child = child;
    child.on('error', () => undefined);
    await waitForPort(this.port);
  }
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGKILL'); });
    this.child = undefined;
  }
  async restart(): Promise<void> { await this.kill(); await this.start(); }
  async stop(): Promise<void> {
    await this.kill();
    if (this.cleanupDir) rmSync(this.cleanupDir, { recursive: true, force: true });
  }
}

/**
 * A private redis-server. `persist`: append-only file fsynced on every write
 * in a temp dir, so a restart (kill + start) keeps the data, as a production
 * Redis holding a job queue would.
 */
export async function spawnRedis(port?: number, opts: { persist?: boolean } = {}): Promise<SpawnedServer> {
  const p = port ?? await freePort();
  const dir = opts.persist === true ? mkdtempSync(join(tmpdir(), 'sbc-redis-')) : undefined;
  const persistence = dir !== undefined ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir] : ['--appendonly', 'no'];
  const srv = new SpawnedServer(`redis://127.0.0.1:${p}`, p, 'redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', ...persistence], dir);
  await srv.start();
  return srv;
}

export async function spawnNats(port?: number): Promise<SpawnedServer> {
  const p = port ?? await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sbc-nats-'));
  const srv = new SpawnedServer(`nats://127.0.0.1:${p}`, p, 'nats-server', ['-a', '127.0.0.1', '-p', String(p), '-js', '-sd', dir], dir);
  await srv.start();
  return srv;
}

const HOW = 'set REDIS_URL / NATS_URL, or run a Docker engine (testcontainers), or install redis-server and nats-server (apt-get install redis-server nats-server)';

export async function findRedis(): Promise<ServerHandle> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, source: 'env', stop: async () => undefined };
  if (await dockerAnswers()) {
    const { GenericContainer } = await import('testcontainers');
    const c = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
    return { url: `redis://${c.getHost()}:${c.getMappedPort(6379)}`, source: 'container', stop: async () => { await c.stop(); } };
  }
  if (hasBinary('redis-server')) return spawnRedis();
  throw new Error(`No Redis for the tests: ${HOW}`);
}

export async function findNats(): Promise<ServerHandle> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, source: 'env', stop: async () => undefined };
  if (await dockerAnswers()) {
    const { GenericContainer } = await import('testcontainers');
    const c = await new GenericContainer('nats:2').withCommand(['-js']).withExposedPorts(4222).start();
    return { url: `nats://${c.getHost()}:${c.getMappedPort(4222)}`, source: 'container', stop: async () => { await c.stop(); } };
  }
  if (hasBinary('nats-server')) return spawnNats();
  throw new Error(`No NATS for the tests: ${HOW}`);
}
