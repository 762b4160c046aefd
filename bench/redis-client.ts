// npx tsx bench/redis-client.ts — node CPU per Redis command at a hot-path
// pace (one SET NX GET every ms, each awaited: at a few hundred calls/s almost
// every batch is one command), for the client the state backend uses on one
// server (libs/state/redis/client.ts: socket corked per turn) against ioredis
// auto-pipelining and plain ioredis. A timer-only loop is measured too: its
// CPU is in every figure. 5 rounds, alternating; medians.
import { Redis } from 'ioredis';
import { createClient } from '../libs/state/redis/client.ts';
import { spawnRedis } from '../test/harness/servers.ts';

const OPS = 1500;
const ROUNDS = 5;
const tick = () => new Promise((r) => setTimeout(r, 1));

async function cpuPerOp(op: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < OPS; i++) {
    await op();
    await tick();
  }
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / OPS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const srv = await spawnRedis();
const kinds: Record<string, () => Promise<Redis>> = {
  'ioredis auto-pipelining': async () => new Redis(srv.url, { enableAutoPipelining: true, enableOfflineQueue: false, commandTimeout: 1000 }),
  'ioredis plain': async () => new Redis(srv.url, { enableAutoPipelining: false, enableOfflineQueue: false, commandTimeout: 1000 }),
  'state client (corked per turn)': async () => {
    const c = createClient({ topology: { kind: 'single', url: srv.url }, commandTimeoutMs: 1000, maxReconnectDelayMs: 1000 }) as Redis;
    await c.connect();
    return c;
  },
};
const results = new Map<string, number[]>([['timer only', []], ...Object.keys(kinds).map((k) => [k, []] as [string, number[]])]);
for (let round = 0; round < ROUNDS; round++) {
  results.get('timer only')!.push(await cpuPerOp(async () => undefined));
  for (const [name, make] of Object.entries(kinds)) {
    const r = await make();
    if (r.status !== 'ready') await new Promise((res) => r.once('ready', res));
    let i = 0;
    results.get(name)!.push(await cpuPerOp(() => r.set(`k${round}:${i++}`, 'sip:10.0.0.1:5060', 'PX', 30_000, 'NX', 'GET')));
    r.disconnect();
  }
}
await srv.stop();
for (const [name, xs] of results) console.log(`${name.padEnd(32)} ${median(xs).toFixed(1).padStart(7)} µs CPU per op (rounds: ${xs.map((x) => x.toFixed(0)).join(', ')})`);
process.exit(0);
