// npx tsx bench/profile-node.ts [--mode memory-topoh|memory-none|redis-topos] [--calls 6000] [--rate 200]
// A V8 CPU profile of one node carrying sipp calls (after a warm-up), for
// finding what a call costs: the node runs with --cpu-prof, the profile is
// written to bench/profiles/ when it stops, and the heaviest functions by
// self time are printed. Open the .cpuprofile in Chrome DevTools for more.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../scripts/build.mjs';
import { spawnNats, spawnRedis } from '../test/harness/index.ts';
import { runUac, startSbcNode, startUas } from '../test/sipp/index.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const mode = args.get('mode') ?? 'memory-topoh';
const calls = Number(args.get('calls') ?? 6000);
const rate = Number(args.get('rate') ?? 200);
const dir = fileURLToPath(new URL('./profiles/', import.meta.url));
mkdirSync(dir, { recursive: true });

interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; id: number }

async function main(): Promise<void> {
  await buildNode();
  const [state, hiding] = mode.split('-');
  const servers = state === 'redis' ? await Promise.all([spawnRedis(), spawnNats()]) : [];
  const gws = [await startUas({ scenario: 'uas' }), await startUas({ scenario: 'uas' })];
  const before = new Set(readdirSync(dir));
  const node = await startSbcNode({
    gateways: gws,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    config: {
      pike: { enabled: true, sampling_time_unit: '2s', reqs_density_per_unit: 1_000_000 },
      secfilter: { enabled: false }, permissions: { enabled: false }, log: { level: 'warn' },
      topology: hiding === 'none' ? { mode: 'none' } : { mode: hiding, mask_callid: true, sdp: 'keep', ...(hiding === 'topoh' ? { mask_key: 'bench-mask-key-0123456789abcdef' } : {}) },
      ...(servers.length ? { node: { cluster: `prof-${process.pid}` }, state: { backend: 'redis', redis: { url: servers[0].url } }, bus: { servers: [servers[1].url] } } : {}),
    },
  });
  try {
    for (let i = 0; i < 2; i++) await runUac({ target: `${node.host}:${node.port}`, calls: 2000, rate: 200, localHost: '127.0.0.2', timeoutMs: 60_000, traceMessages: false });
    const cpu0 = node.cpuMs();
    const r = await runUac({ target: `${node.host}:${node.port}`, calls, rate, localHost: '127.0.0.2', timeoutMs: 120_000, traceMessages: false });
    console.log(`${mode}: ${r.successful}/${calls} calls, ${(((node.cpuMs() - cpu0) * 1000) / calls).toFixed(0)} µs CPU per call (profiler on: slower than a bench)`);
  } finally {
    await node.stop();
    await Promise.all([...gws.map((g) => g.stop()), ...servers.map((s) => s.stop())]);
  }
  const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.cpuprofile'));
  if (!file) { console.log('no profile written'); return; }
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[] };
  const total = prof.nodes.reduce((a, n) => a + n.hitCount, 0);
  const self = new Map<string, number>();
  for (const n of prof.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + n.hitCount);
  }
  console.log(`profile ${join(dir, file)}: ${total} samples; top self time (whole run, warm-up included):`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
