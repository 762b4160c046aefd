// Probing benchmark (`npm run bench:probing`): what OPTIONS keepalives cost a
// cluster. Three SBC node processes share one Redis and one NATS and probe 50
// gateways (scripted responders in this process) every second. For each
// window we print the probes the gateways received per second (cluster-wide:
// each gateway must get one per interval, not one per node) and the nodes' CPU
// time per second, with probing on and, as the baseline, off (same nodes,
// same traffic: none). Windows alternate off/on (the machine is shared), and
// the summary gives the CPU cost per probe.
//
//   npx tsx bench/probing.ts [--gateways 50] [--nodes 3] [--interval-ms 1000] [--window-s 10] [--settle-s 15] [--rounds 2] [--latency-stats 1|0]
//
// Bounded: rounds x 2 windows of window-s seconds; everything on loopback and stopped at the end.
import { loadavg } from 'node:os';
import { buildNode } from '../scripts/build.mjs';
import { spawnNats, spawnRedis } from '../test/harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../test/sipp/sbc-node.ts';
import { startOptionsGateway, type OptionsGateway } from '../test/cluster/options-gateway.ts';

interface Args { gateways: number; nodes: number; intervalMs: number; windowS: number; settleS: number; rounds: number; latencyStats: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { gateways: 50, nodes: 3, intervalMs: 1000, windowS: 10, settleS: 15, rounds: 2, latencyStats: true };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--latency-stats') { a.latencyStats = argv[i + 1] !== '0'; continue; }
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${argv[i]} needs a positive number`);
    if (argv[i] === '--gateways') a.gateways = Math.min(500, v);
    else if (argv[i] === '--nodes') a.nodes = Math.min(5, v);
    else if (argv[i] === '--interval-ms') a.intervalMs = Math.max(100, v);
    else if (argv[i] === '--window-s') a.windowS = Math.min(60, v);
    else if (argv[i] === '--rounds') a.rounds = Math.min(5, v);
    else if (argv[i] === '--settle-s') a.settleS = Math.min(120, v);
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return a;
}

interface Window { probing: boolean; probesPerS: number; cpuMsPerS: number; perNodeCpuMsPerS: number[]; maxPerGateway: number; minPerGateway: number; sourcesPerGateway: number }

async function startCluster(a: Args, gws: OptionsGateway[], redisUrl: string, natsUrl: string, probing: boolean, tag: string): Promise<SbcNodeHandle[]> {
  const cluster = `bench-probe-${process.pid}-${tag}`;
  const dispatcher = {
    algorithm: 4,
    ds_ping_interval: probing ? a.intervalMs : 0,
    ds_probing_mode: 1,
    ds_ping_latency_stats: a.latencyStats,
    sets: gws.map((g) => ({ setid: 1, uri: g.uri })),
  };
  return Promise.all(Array.from({ length: a.nodes }, (_, i) => startSbcNode({
    gateways: [],
    config: {
      node: { id: `b${i + 1}`, cluster },
      state: { backend: 'redis', redis: { url: redisUrl } },
      bus: { servers: [natsUrl] },
      log: { level: 'warn' },
      dispatcher,
    },
  })));
}

async function measure(a: Args, gws: OptionsGateway[], nodes: SbcNodeHandle[], probing: boolean): Promise<Window> {
  // let the partition settle and V8 compile the probe path before the window (a fresh node's first
  // seconds are mostly JIT work on background threads, which counts as the process's CPU)
  await new Promise((r) => setTimeout(r, Math.max(3 * a.intervalMs + 1000, a.settleS * 1000)));
  for (const g of gws) g.reset();
  const cpu0 = nodes.map((n) => n.cpuMs());
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, a.windowS * 1000));
  const secs = (performance.now() - t0) / 1000;
  const perNode = nodes.map((n, i) => (n.cpuMs() - cpu0[i]) / secs);
  const counts = gws.map((g) => g.probes().length);
  const total = counts.reduce((x, y) => x + y, 0);
  return {
    probing,
    probesPerS: total / secs,
    cpuMsPerS: perNode.reduce((x, y) => x + y, 0),
    perNodeCpuMsPerS: perNode,
    maxPerGateway: Math.max(...counts),
    minPerGateway: Math.min(...counts),
    sourcesPerGateway: Math.max(...gws.map((g) => new Set(g.probes().map((p) => p.port)).size)),
  };
}

const f = (n: number, d = 1) => n.toFixed(d);

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  await buildNode();
  const [redis, nats] = await Promise.all([spawnRedis(), spawnNats()]);
  process.once('exit', () => { void redis.kill(); void nats.kill(); });
  const gws = await Promise.all(Array.from({ length: a.gateways }, () => startOptionsGateway()));
  console.log(`probing bench: ${a.gateways} gateways, ${a.nodes} nodes, ds_ping_interval ${a.intervalMs} ms, ds_ping_latency_stats ${a.latencyStats ? 1 : 0}, windows of ${a.windowS} s after ${a.settleS} s, load average ${loadavg().map((x) => f(x, 2)).join(' ')} (shared machine: off/on alternate)`);
  console.log('window  probing  probes/s (cluster)  expected  per gateway min..max  nodes per gateway  CPU ms/s (all nodes)  per node');
  const windows: Window[] = [];
  try {
    for (let r = 0; r < a.rounds; r++) {
      for (const probing of [false, true]) {
        const nodes = await startCluster(a, gws, redis.url, nats.url, probing, `${r}-${probing ? 'on' : 'off'}`);
        try {
          const w = await measure(a, gws, nodes, probing);
          windows.push(w);
          const expected = probing ? (a.gateways * 1000) / a.intervalMs : 0;
          console.log(`${String(windows.length).padStart(6)}  ${(probing ? 'on' : 'off').padEnd(7)}  ${f(w.probesPerS).padStart(18)}  ${f(expected).padStart(8)}  ${`${w.minPerGateway}..${w.maxPerGateway}`.padStart(20)}  ${String(w.sourcesPerGateway).padStart(17)}  ${f(w.cpuMsPerS).padStart(20)}  ${w.perNodeCpuMsPerS.map((x) => f(x)).join(' / ')}`);
        } finally {
          await Promise.all(nodes.map((n) => n.stop()));
        }
      }
    }
  } finally {
    await Promise.all(gws.map((g) => g.stop()));
    await Promise.all([redis.stop(), nats.stop()]);
  }
  const on = windows.filter((w) => w.probing);
  const off = windows.filter((w) => !w.probing);
  const avg = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
  const probes = avg(on.map((w) => w.probesPerS));
  const extra = avg(on.map((w) => w.cpuMsPerS)) - avg(off.map((w) => w.cpuMsPerS));
  console.log(`summary: ${f(probes)} probes/s cluster-wide (one per gateway per interval: ${f((a.gateways * 1000) / a.intervalMs)}); ` +
    `probing costs ${f(extra)} ms CPU per second over ${a.nodes} nodes (${f((extra * 1000) / Math.max(1, probes), 0)} µs per probe, incl. lease ticks and state news)`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
