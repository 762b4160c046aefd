// npx tsx bench/profile-node.ts [--mode memory-topoh|memory-none|redis-topoh|redis-topos] [--calls 6000] [--rate 200] [--monitor 1] [--perf 1|g|faults] [--acc 1]
// A V8 CPU profile of one node carrying sipp calls (after a warm-up), for
// finding what a call costs: the node runs with --cpu-prof, the profile is
// written to bench/profiles/ when it stops, and the heaviest functions by
// self time are printed. Open the .cpuprofile in Chrome DevTools for more.
// --perf 1 instead runs the node with --perf-basic-prof and `perf record`s its
// processes over the measured calls only: C++, V8 builtins, GC and kernel
// time show by symbol, which the V8 profile lumps together (--perf g: with call
// graphs, for `perf report -i <file> -G`; --perf faults: every page fault with
// its call graph, to see which allocations touch memory the kernel must map).
// --acc 1: accounting on (queue sink with Redis state, the JSON Lines file sink
// with memory state), to see what it costs a call.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { buildNode } from '../scripts/build.mjs';
import { spawnNats, spawnRedis } from '../test/harness/index.ts';
import { runUac, startSbcNode, startUas } from '../test/sipp/index.ts';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const mode = args.get('mode') ?? 'memory-topoh';
const calls = Number(args.get('calls') ?? 6000);
const rate = Number(args.get('rate') ?? 200);
const perf = ['1', 'g', 'faults'].includes(args.get('perf') ?? '');
const acc = args.get('acc') === '1';
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
    nodeFlags: perf ? ['--perf-basic-prof'] : ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    config: {
      pike: { enabled: true, sampling_time_unit: '2s', reqs_density_per_unit: 1_000_000 },
      secfilter: { enabled: false }, permissions: { enabled: false }, log: { level: 'warn' },
      topology: hiding === 'none' ? { mode: 'none' } : { mode: hiding, mask_callid: true, sdp: 'keep', ...(hiding === 'topoh' ? { mask_key: 'bench-mask-key-0123456789abcdef' } : {}) },
      ...(acc ? { acc: { enabled: true } } : {}),
      ...(servers.length ? { node: { cluster: `prof-${process.pid}` }, state: { backend: 'redis', redis: { url: servers[0].url } }, bus: { servers: [servers[1].url] } } : {}),
    },
  });
  try {
    for (let i = 0; i < 2; i++) await runUac({ target: `${node.host}:${node.port}`, calls: 2000, rate: 200, localHost: '127.0.0.2', timeoutMs: 60_000, traceMessages: false });
    const traffic = servers.length ? await watchTraffic(servers[0].url, servers[1].url) : undefined;
    const m0 = await messageCounts(node);
    const cpu0 = node.cpuMs();
    const recorder = perf ? startPerf(node.pids()) : undefined;
    const r = await runUac({ target: `${node.host}:${node.port}`, calls, rate, localHost: '127.0.0.2', timeoutMs: 120_000, traceMessages: false });
    console.log(`${mode}: ${r.successful}/${calls} calls, ${(((node.cpuMs() - cpu0) * 1000) / calls).toFixed(0)} µs CPU per call (profiler on: slower than a bench)`);
    if (recorder) await recorder.report();
    const m1 = await messageCounts(node);
    console.log('SIP messages and retransmissions per call:');
    for (const [k, v] of m1) if (v - (m0.get(k) ?? 0) > 0) console.log(`  ${((v - (m0.get(k) ?? 0)) / calls).toFixed(2).padStart(6)}  ${k}`);
    if (traffic) await traffic.report(calls);
  } finally {
    await node.stop();
    await Promise.all([...gws.map((g) => g.stop()), ...servers.map((s) => s.stop())]);
  }
  if (perf) return;
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

/** `perf record` of the node's processes until report(), which prints the heaviest symbols by self time. */
function startPerf(pids: number[]): { report(): Promise<void> } {
  const file = join(dir, `perf-${process.pid}.data`);
  const how = args.get('perf') === 'faults' ? ['-e', 'page-faults', '-c', '1', '-g'] : ['-F', '999', ...(args.get('perf') === 'g' ? ['-g'] : [])];
  const rec = spawn('perf', ['record', '-q', ...how, '-o', file, '-p', pids.join(',')], { stdio: 'inherit' });
  return {
    async report() {
      const done = new Promise((resolve) => rec.once('exit', resolve));
      rec.kill('SIGINT');
      await done;
      const out = spawnSync('perf', ['report', '-i', file, '--no-children', '--sort', 'dso,sym', '--stdio', '--percent-limit', '0.4'], { encoding: 'utf8', maxBuffer: 64 << 20 });
      console.log(`perf ${file}: heaviest symbols by self time (measured calls only)`);
      console.log(out.stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).slice(0, 70).join('\n'));
    },
  };
}

/** The node's message and retransmission counters (Prometheus text), by series. */
async function messageCounts(node: { host: string; httpPort: number; readToken: string }): Promise<Map<string, number>> {
  const res = await fetch(`http://${node.host}:${node.httpPort}/metrics`, { headers: { authorization: `Bearer ${node.readToken}` } });
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^(sbc_transport_messages_total|sbc_tm_retransmissions_total|sbc_tm_stray_responses_total)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out.set(`${m[1]}${(m[2] ?? '').replace(/,?node="[^"]*"/, '')}`, Number(m[3]));
  }
  return out;
}

function readsProcessed(stats: string): number {
  return Number(/total_reads_processed:(\d+)/.exec(stats)?.[1] ?? NaN);
}

/** Redis commands (INFO commandstats) and NATS messages (a '>' subscriber) of the measured run, per call. */
async function watchTraffic(redisUrl: string, natsUrl: string): Promise<{ report(calls: number): Promise<void> }> {
  const redis = new Redis(redisUrl);
  await redis.config('RESETSTAT');
  const readsBefore = readsProcessed(await redis.info('stats'));
  // what the commands are: name and key, with ids masked, of everything the node sends
  const shapes = new Map<string, number>();
  // (MONITOR costs Redis and the machine a lot: only with --monitor 1)
  const monitor = args.get('monitor') === '1' ? await redis.duplicate().monitor() : undefined;
  monitor?.on('monitor', (_t: string, args: string[]) => {
    const name = String(args[0]).toLowerCase();
    if (name === 'info' || name === 'config') return;
    const key = name === 'evalsha' ? `${args[1].slice(0, 8)} ${args[3] ?? ''}` : String(args[1] ?? '');
    const k = `${name} ${key.replace(/[0-9a-f]{6,}|\d+(\.\d+){0,3}(:\d+)?|[A-Za-z0-9_+/=-]{16,}/g, '#')}`;
    shapes.set(k, (shapes.get(k) ?? 0) + 1);
  });
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const subjects = new Map<string, number>();
  const sub = nc.subscribe('>');
  void (async () => { for await (const m of sub) { const k = m.subject.replace(/\.[^.]*[0-9a-f]{8,}[^.]*/g, '.*'); subjects.set(k, (subjects.get(k) ?? 0) + 1); } })();
  return {
    async report(calls: number) {
      const info = await redis.info('commandstats');
      console.log('Redis commands per call:');
      let all = 0;
      for (const line of info.split('\n')) {
        const m = /^cmdstat_(\S+):calls=(\d+),usec=(\d+)/.exec(line);
        if (!m || m[1] === 'info' || m[1] === 'config') continue;
        all += Number(m[2]);
        console.log(`  ${m[1].padEnd(12)} ${(Number(m[2]) / calls).toFixed(2)}  (${(Number(m[3]) / calls).toFixed(1)} µs server time)`);
      }
      console.log(`  total        ${(all / calls).toFixed(2)} (commands run inside scripts included)`);
      // each read event of the server is (about) one write of a client: the node's round trips
      console.log(`Redis read events (~ the node's writes) per call: ${((readsProcessed(await redis.info('stats')) - readsBefore) / calls).toFixed(2)}`);
      if (monitor) console.log('Redis commands by key shape, per call:');
      for (const [k, v] of [...shapes].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(v / calls).toFixed(3).padStart(7)}  ${k}`);
      monitor?.disconnect();
      await nc.flush();
      console.log('NATS messages per call:');
      for (const [k, v] of [...subjects].sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(40)} ${(v / calls).toFixed(3)}`);
      await nc.close();
      redis.disconnect();
    },
  };
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
