// A NATS cluster on loopback for tests: `size` nats-server processes joined
// with --cluster / --routes (full mesh). Each server can be killed and
// started again on its ports (it re-joins through its routes).
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitForPort } from './servers.ts';

export interface NatsClusterHandle {
  /** client URLs, one per server */
  urls: string[];
  kill(i: number): Promise<void>;
  start(i: number): Promise<void>;
  /** waits until server i has a route to every other live server */
  waitRouted(i: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startNatsCluster(size = 3): Promise<NatsClusterHandle> {
  const ports: { client: number; route: number; monitor: number }[] = [];
  for (let i = 0; i < size; i++) ports.push({ client: await freePort(), route: await freePort(), monitor: await freePort() });
  const routes = ports.map((p) => `nats://127.0.0.1:${p.route}`).join(',');
  const children: (ChildProcess | undefined)[] = new Array(size).fill(undefined);
  const start = async (i: number) => {
    const p = ports[i];
    const c = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(p.client), '-m', String(p.monitor), '--cluster_name', 'sbc-test',
      '--cluster', `nats://127.0.0.1:${p.route}`, '--routes', routes], { stdio: 'ignore' });
    c.on('error', () => undefined);
    children[i] = c;
    await waitForPort(p.client);
  };
  const kill = async (i: number) => {
    const c = children[i];
    children[i] = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
  };
  const waitRouted = async (i: number, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    const want = children.filter(Boolean).length - 1;
    for (;;) {
      const routez = await httpGet(ports[i].monitor, '/routez').catch(() => undefined);
      // one route per peer (a pair may briefly hold two while they meet)
      if (routez && new Set((JSON.parse(routez) as { routes?: { remote_id: string }[] }).routes?.map((r) => r.remote_id)).size >= want) return;
      if (Date.now() > deadline) throw new Error(`nats server ${i} not routed to ${want} peers within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const handle: NatsClusterHandle = {
    urls: ports.map((p) => `nats://127.0.0.1:${p.client}`),
    kill,
    start,
    waitRouted,
    stop: async () => { await Promise.all(ports.map((_, i) => kill(i))); },
  };
  try {
    await Promise.all(ports.map((_, i) => start(i)));
    await Promise.all(ports.map((_, i) => waitRouted(i)));
    return handle;
  } catch (err) {
    await handle.stop();
    throw err;
  }
}

async function httpGet(port: number, path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
  return res.text();
}
