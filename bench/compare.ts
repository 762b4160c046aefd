// npm run bench — CPU per call, our node against Kamailio configured as the
// same SBC (../shared/bench/kamailio-sbc.cfg: maxfwd, sanity, htable ipban,
// pike, dispatcher round robin with failure_route, tm, rr, topoh with
// mask_callid), in one invocation, alternating: every proxy is started and
// warmed up once, then each round measures every mode in turn (the order
// reversed every other round, since a shared machine's load drifts), prints
// each mode's ratio to Kamailio in that round, and at the end the medians.
//
//   npx tsx bench/compare.ts [--modes kamailio,kamailio:tlsf,memory-none,memory-topoh,redis-topoh,redis-topos,cluster-topos]
//                            [--rate 200] [--calls 3000] [--rounds 3] [--max 200,300,400,500] [--parallel 1] [--paired 1] [--prewarm 600]
//
// A node mode is <state>-<hiding>: state memory (one process), redis (one
// redis-server + one nats-server) or cluster (a 3-master Redis Cluster + a
// 3-server NATS cluster); hiding none, topoh or topos. Every node runs pike
// (density set high, as in the Kamailio cfg), round robin over the same two
// gateways, Record-Route; secfilter and permissions are off (Kamailio has
// neither). For redis and cluster modes the CPU of their Redis and NATS
// servers per call is printed beside the node's (all modes of a state kind
// share those servers, so that figure is measured per round over the mode's
// own step only).
// kamailio:<qm|fm|tlsf> runs the same Kamailio with -x/-X <allocator> for its
// shared and private memory: Debian's build defaults to qm, which on some
// hosts takes over half of Kamailio's CPU (perf: qm_malloc), so a run that
// lists kamailio and kamailio:tlsf shows how much of a ratio is the allocator.
// The summary prints every node mode's ratio to each Kamailio mode listed.
// A node mode may end in :dgram or :batched (e.g. memory-none:dgram) to pin
// sip.udp.io; without it the node uses its default (auto: the batched addon
// when npm ci built it). Both in one run compare the two UDP I/O paths of the
// same build, alternating like every other mode.
// A node mode may end in +<v8 flag>... (e.g. memory-topoh+single-threaded-gc,
// memory-none+max-semi-space-size=16): the node starts with those flags after
// the ones npm start gives it, to compare V8 settings in one run.
// A node mode may end in @<checkout> (e.g. memory-topoh@/work/base): that
// node runs <checkout>/dist/sbc.mjs, another commit built there (npm ci and
// npm run build in it first), so two builds alternate in one run: an A/B of
// a change, measured as every other mode.
// --paired 1: each round runs every node mode's step at the same time as a
// step of Kamailio (each with its own callers), one node mode after the
// other, and each ratio is to the Kamailio step beside it (the first
// Kamailio mode listed; another Kamailio mode is paired with it like a node). On this VM one
// proxy's CPU per call moves by up to +-25% from one 15 s step to the next
// (the same node, the same load), so ratios of steps taken minutes apart
// scatter; steps taken side by side see the same conditions and their
// ratios agree within a few percent round after round.
// --prewarm N: N unmeasured calls right before every measured step (each
// proxy, Kamailio too): a proxy idle for minutes between its steps starts the
// step as a proxy in service would. Each step also prints its proxy's minor
// page faults and context switches (all threads) per call, and for a node
// the part of its CPU per call spent in garbage collection, "(GC n)" (from
// its own sbc_nodejs_gc_duration_seconds, read before and after the step).
// --parallel 1: each round runs every mode's step at the same time (paired
// samples under the same machine load; each proxy gets its own callers) and
// without kamailio the ratios are to the first mode listed.
// --max R1,R2,...: after the rounds, each mode at each rate (one step of
// 10 s, alternating) and the highest rate with zero failed calls.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../scripts/build.mjs';
import { freePort, spawnNats, spawnRedis } from '../test/harness/index.ts';
import { startNatsCluster } from '../test/harness/nats-cluster.ts';
import { startRedisCluster } from '../test/harness/redis-cluster.ts';
import { benchNodeConfig } from './node-config.ts';
import { groupContextSwitches, groupCpuMs, groupMinorFaults, groupPids, spawnGroup, tailOf, waitForGroupPort, type ProxyProcess } from '../test/sipp/proc.ts';
import { dispatcherList, runUac, startSbcNode, startUas, type UasHandle } from '../test/sipp/index.ts';

const SHARED_CFG = fileURLToPath(new URL('../../shared/bench/kamailio-sbc.cfg', import.meta.url));
const CALLER_HOST = '127.0.0.2'; // not 127.0.0.1: pike exempts the node's own and its gateways' address
const STATES = ['memory', 'redis', 'cluster'] as const;
const HIDINGS = ['none', 'topoh', 'topos'] as const;
type StateKind = (typeof STATES)[number];
type Hiding = (typeof HIDINGS)[number];
type UdpIo = 'dgram' | 'batched';
const KAMAILIO_ALLOCATORS = ['qm', 'fm', 'tlsf'] as const;
type KamailioAllocator = (typeof KAMAILIO_ALLOCATORS)[number];
type Mode = { name: string; kind: 'kamailio'; allocator?: KamailioAllocator } | { name: string; kind: 'node'; state: StateKind; hiding: Hiding; io?: UdpIo; v8Flags: string[]; bundle?: string };

interface Args { modes: Mode[]; rate: number; calls: number; rounds: number; max: number[]; parallel: boolean; paired: boolean; prewarm: number }

function usage(msg: string): never {
  console.error(`${msg}\nusage: tsx bench/compare.ts [--modes kamailio,kamailio:tlsf,memory-none,memory-topoh,redis-topoh,redis-topos,cluster-topos] [--rate 200] [--calls 3000] [--rounds 3] [--max 200,300,400]`);
  process.exit(2);
}

function parseMode(s: string): Mode {
  if (s === 'kamailio') return { name: s, kind: 'kamailio' };
  if (s.startsWith('kamailio:')) {
    const allocator = s.slice('kamailio:'.length);
    if (!(KAMAILIO_ALLOCATORS as readonly string[]).includes(allocator)) usage(`mode ${s}: Kamailio's allocator is one of ${KAMAILIO_ALLOCATORS.join(', ')}`);
    return { name: s, kind: 'kamailio', allocator: allocator as KamailioAllocator };
  }
  const [spec, checkout] = s.split('@');
  const bundle = checkout === undefined ? undefined : join(checkout, 'dist/sbc.mjs');
  if (bundle !== undefined && !existsSync(bundle)) usage(`mode ${s}: ${bundle} does not exist (run npm ci and npm run build in ${checkout} first)`);
  const [modeAndIo, ...flags] = spec.split('+');
  const [base, io] = modeAndIo.split(':');
  if (io !== undefined && io !== 'dgram' && io !== 'batched') usage(`mode ${s}: the UDP I/O suffix is :dgram or :batched`);
  const [state, hiding] = base.split('-');
  if (!(STATES as readonly string[]).includes(state) || !(HIDINGS as readonly string[]).includes(hiding)) usage(`unknown mode ${s}`);
  if (state === 'memory' && hiding === 'topos') usage('topos keeps dialogs in Redis: use redis-topos or cluster-topos');
  return { name: s, kind: 'node', state: state as StateKind, hiding: hiding as Hiding, v8Flags: flags.map((f) => `--${f}`), ...(io !== undefined ? { io: io as UdpIo } : {}), ...(bundle !== undefined ? { bundle } : {}) };
}

function parseArgs(argv: string[]): Args {
  const f = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) usage(`bad argument ${argv[i]}`);
    f.set(argv[i].slice(2), argv[i + 1]);
  }
  for (const k of f.keys()) if (!['modes', 'rate', 'calls', 'rounds', 'max', 'parallel', 'paired', 'prewarm'].includes(k)) usage(`unknown option --${k}`);
  const modes = (f.get('modes') ?? 'kamailio,kamailio:tlsf,memory-none,memory-topoh,redis-topoh,redis-topos,cluster-topos').split(',').map(parseMode);
  const rate = Number(f.get('rate') ?? 200);
  const calls = Number(f.get('calls') ?? 3000);
  const rounds = Number(f.get('rounds') ?? 3);
  if (!(rate > 0 && calls > 0 && rounds > 0 && rounds <= 9)) usage('--rate, --calls > 0, --rounds 1..9');
  const max = f.get('max')?.split(',').map(Number) ?? [];
  const paired = f.get('paired') === '1';
  if (paired && (!modes.some((m) => m.kind === 'kamailio') || f.get('parallel') === '1')) usage('--paired 1 needs kamailio among the modes, and not --parallel 1');
  const prewarm = Number(f.get('prewarm') ?? 0);
  if (!(Number.isInteger(prewarm) && prewarm >= 0)) usage('--prewarm: a number of calls >= 0');
  return { modes, rate, calls, rounds, max, parallel: f.get('parallel') === '1', paired, prewarm };
}

// ------------------------------------------------------------- processes

/** utime+stime (ms) of the processes whose command line matches. */
function cpuOfProcesses(match: (cmdline: string) => boolean): number {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!match(cmd)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* gone */ }
  }
  return ticks * 10; // CLK_TCK 100 on Linux
}

interface Backend { config: Record<string, unknown>; serversCpuMs(): number; stop(): Promise<void> }

async function startBackend(kind: StateKind, cluster: string): Promise<Backend | undefined> {
  if (kind === 'memory') return undefined;
  if (kind === 'redis') {
    const [redis, nats] = await Promise.all([spawnRedis(), spawnNats()]);
    const ports = [redis.url, nats.url].map((u) => new URL(u).port);
    return {
      config: { node: { cluster }, state: { backend: 'redis', redis: { url: redis.url } }, bus: { servers: [nats.url] } },
      serversCpuMs: () => cpuOfProcesses((c) => (/redis-server|nats-server/.test(c)) && ports.some((p) => c.includes(`:${p}`) || c.includes(` ${p} `) || c.endsWith(` ${p}`))),
      stop: async () => { await Promise.all([redis.stop(), nats.stop()]); },
    };
  }
  const [rc, nc] = await Promise.all([startRedisCluster({ masters: 3, replicasPerMaster: 0 }), startNatsCluster(3)]);
  const ports = [...rc.nodes.map((n) => String(n.port)), ...nc.urls.map((u) => new URL(u).port)];
  return {
    config: { node: { cluster }, state: { backend: 'redis', redis: { mode: 'cluster', nodes: rc.urls } }, bus: { servers: nc.urls } },
    serversCpuMs: () => cpuOfProcesses((c) => (/redis-server|nats-server/.test(c)) && ports.some((p) => c.includes(`:${p}`) || c.includes(` ${p} `) || c.endsWith(` ${p}`))),
    stop: async () => { await Promise.all([rc.stop(), nc.stop()]); },
  };
}

async function startKamailioSbc(gateways: UasHandle[], allocator?: KamailioAllocator): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-sbc-'));
  const port = await freePort('127.0.0.1');
  writeFileSync(join(dir, 'dispatcher.list'), dispatcherList(gateways, 1));
  const cfg = readFileSync(SHARED_CFG, 'utf8')
    .replaceAll('/tmp/kamailio-sbc-bench', dir)
    .replace('listen=udp:127.0.0.1:15060', `listen=udp:127.0.0.1:${port}`);
  writeFileSync(join(dir, 'kamailio.cfg'), cfg);
  const logFile = join(dir, 'kamailio.log');
  const group = spawnGroup({
    cmd: '/usr/sbin/kamailio',
    args: ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-Y', dir, '-P', join(dir, 'k.pid'), '-w', dir, '-m', '256', '-M', '16', ...(allocator ? ['-x', allocator, '-X', allocator] : [])],
    cwd: dir, logFile, lifetimeMs: 3_600_000,
  });
  await waitForGroupPort(group, port, 'udp', 10_000, 'kamailio');
  await new Promise((r) => setTimeout(r, 500)); // workers forked
  return {
    host: '127.0.0.1', port, pgid: group.pgid, dir,
    cpuMs: () => groupCpuMs(group.pgid),
    pids: () => groupPids(group.pgid),
    logTail: (n = 3000) => tailOf(logFile, n),
    async stop() { await group.stop(5000); rmSync(dir, { recursive: true, force: true }); },
  };
}

// ------------------------------------------------------------- measuring

interface Running {
  mode: Mode;
  proxy: ProxyProcess;
  backend: Backend | undefined;
  /** a node's garbage collection time so far, ms (its own sbc_nodejs_gc_duration_seconds); undefined for Kamailio */
  gcMs?: () => Promise<number>;
}
interface Sample { mode: string; round: number; rate: number; calls: number; ok: number; /** datagrams the kernel dropped at the proxy's SIP socket (receive buffer full) */ drops: number; cpuUsPerCall: number; faultsPerCall: number; switchesPerCall: number; serversUsPerCall?: number; /** a node's time in garbage collection per call (part of cpuUsPerCall) */ gcUsPerCall?: number; why: string; /** --paired: the Kamailio mode and its figure in the step beside this one */ refMode?: string; refUs?: number }

/** datagrams dropped by the kernel at the UDP sockets bound to `port` (the drops column of /proc/net/udp) */
function socketDrops(port: number): number {
  let n = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 13 && parseInt(f[1].split(':')[1], 16) === port) n += Number(f[12]);
  }
  return n;
}

async function step(r: Running, rate: number, calls: number, prewarm = 0): Promise<Omit<Sample, 'mode' | 'round'>> {
  // unmeasured calls right before the measured ones: a proxy idle for minutes between its steps
  // (V8 shrinks an idle node's heap) starts the step from where a proxy in service is
  if (prewarm > 0) {
    const w = await runUac({ target: `${r.proxy.host}:${r.proxy.port}`, calls: prewarm, rate, localHost: CALLER_HOST, timeoutMs: (prewarm / rate) * 2000 + 10_000, traceMessages: false });
    if (w.artifactsDir) rmSync(w.artifactsDir, { recursive: true, force: true });
  }
  const drops0 = socketDrops(r.proxy.port);
  const faults0 = groupMinorFaults(r.proxy.pgid);
  const switches0 = groupContextSwitches(r.proxy.pgid);
  const cpu0 = r.proxy.cpuMs();
  const srv0 = r.backend?.serversCpuMs();
  const gc0 = await r.gcMs?.();
  const u = await runUac({ target: `${r.proxy.host}:${r.proxy.port}`, calls, rate, localHost: CALLER_HOST, timeoutMs: (calls / rate) * 2000 + 10_000, traceMessages: false });
  if (u.artifactsDir) rmSync(u.artifactsDir, { recursive: true, force: true });
  const cpu = r.proxy.cpuMs() - cpu0;
  const faults = groupMinorFaults(r.proxy.pgid) - faults0;
  const switches = groupContextSwitches(r.proxy.pgid) - switches0;
  const srv = srv0 === undefined ? undefined : r.backend!.serversCpuMs() - srv0;
  const gc = gc0 === undefined ? undefined : (await r.gcMs!()) - gc0;
  const why = [Object.entries(u.failedBy).map(([k, v]) => `${k}:${v}`).join(' '), u.errors.split('\n').find((l) => /^\d{4}-/.test(l))?.slice(0, 200) ?? ''].filter(Boolean).join('; ');
  return { rate, calls: u.attempted, ok: u.successful, why, drops: socketDrops(r.proxy.port) - drops0, cpuUsPerCall: (cpu * 1000) / Math.max(1, u.attempted), faultsPerCall: faults / Math.max(1, u.attempted), switchesPerCall: switches / Math.max(1, u.attempted), ...(srv !== undefined ? { serversUsPerCall: (srv * 1000) / Math.max(1, u.attempted) } : {}), ...(gc !== undefined ? { gcUsPerCall: (gc * 1000) / Math.max(1, u.attempted) } : {}) };
}

/** the node's GC time so far (ms): the sum of its sbc_nodejs_gc_duration_seconds over every kind */
async function nodeGcMs(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let seconds = 0;
  for (const m of text.matchAll(/^sbc_nodejs_gc_duration_seconds_sum\{[^}]*\} ([0-9.e+-]+)$/gm)) seconds += Number(m[1]);
  return seconds * 1000;
}

/** " (GC n)": µs per call a node spent in garbage collection in the step, when measured */
const gcText = (s: { gcUsPerCall?: number }): string => (s.gcUsPerCall === undefined ? '' : ` (GC ${s.gcUsPerCall.toFixed(0)})`);

/** --paired: each node mode's step beside a Kamailio step, one node mode after the other. */
async function pairedRound(order: Running[], round: number, args: Args): Promise<Sample[]> {
  const ref = running.find((r) => r.mode.kind === 'kamailio')!; // the first Kamailio mode listed, whatever the round's order
  const out: Sample[] = [];
  console.log(`\nround ${round} (load ${loadavg()[0].toFixed(1)}), each node mode beside Kamailio:`);
  for (const r of order) {
    if (r === ref) continue;
    const [k, s] = await Promise.all([step(ref, args.rate, args.calls, args.prewarm), step(r, args.rate, args.calls)]);
    out.push({ mode: ref.mode.name, round, ...k }, { mode: r.mode.name, round, ...s, refMode: ref.mode.name, refUs: k.cpuUsPerCall });
    const srv = s.serversUsPerCall === undefined ? '' : ` (+ Redis/NATS servers ${s.serversUsPerCall.toFixed(0)} µs)`;
    const failed = [s, k].some((x) => x.ok < x.calls) ? `  FAILED: node ${s.calls - s.ok}, kamailio ${k.calls - k.ok} (${s.why || k.why})` : '';
    console.log(`  ${r.mode.name.padEnd(22)} ${s.cpuUsPerCall.toFixed(0).padStart(6)} µs CPU/call${gcText(s)}, ${s.faultsPerCall.toFixed(1)} page faults/call, ${s.switchesPerCall.toFixed(1)} context switches/call${srv}, kamailio beside it ${k.cpuUsPerCall.toFixed(0)} = ${(s.cpuUsPerCall / k.cpuUsPerCall).toFixed(2)} x${failed}`);
  }
  return out;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

/** "<median> x <ref> (rounds: ...)": each round's ratio to ref's step of that round (--paired: to the Kamailio step beside it). */
function ratioText(samples: Sample[], mine: Sample[], ref: string, paired: boolean): string {
  const ratios = mine.map((s) => {
    if (paired) return s.refUs !== undefined && s.refMode === ref ? s.cpuUsPerCall / s.refUs : NaN;
    const k = samples.find((x) => x.mode === ref && x.round === s.round);
    return k && s !== k ? s.cpuUsPerCall / k.cpuUsPerCall : NaN;
  }).filter((x) => !Number.isNaN(x));
  return ratios.length ? `${median(ratios).toFixed(2)} x ${ref} (rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')})` : '';
}

const backends = new Map<StateKind, Backend | undefined>();
const running: Running[] = [];
const gateways: UasHandle[] = [];

/** Stops proxies, gateways and the Redis / NATS servers (also on Ctrl-C: the servers are not in a process group the kit kills). */
async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((r) => r.proxy.stop()));
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
  await Promise.all([...backends.values()].map((b) => b?.stop()));
  backends.clear();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void stopAll().finally(() => process.exit(130)); });
  console.log('bench: sipp uac (127.0.0.2) -> proxy -> 2 sipp uas (round robin, the same two for every proxy); INVITE/100/180/200/ACK/BYE/200');
  console.log(`machine: ${cpus().length} cpus, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start (shared machine: figures are noisy; compare within a round)`);
  console.log(`modes: ${args.modes.map((m) => m.name).join(', ')}; ${args.rounds} rounds of ${args.calls} calls at ${args.rate} cps each, order reversed every other round; warm-up 2 x 2000 calls at 200 cps per proxy`);
  await buildNode();
  try {
    // One pair of gateways serves every proxy: an idle sipp UAS polls and
    // takes ~6% of a core, so a pair per mode put a load that grew with the
    // number of modes under every step (and figures moved with it).
    gateways.push(await startUas({ scenario: 'uas', lifetimeMs: 3_600_000 }), await startUas({ scenario: 'uas', lifetimeMs: 3_600_000 }));
    for (const mode of args.modes) {
      let proxy: ProxyProcess;
      let backend: Backend | undefined;
      let gcMs: (() => Promise<number>) | undefined;
      if (mode.kind === 'kamailio') {
        proxy = await startKamailioSbc(gateways, mode.allocator);
      } else {
        if (!backends.has(mode.state)) backends.set(mode.state, await startBackend(mode.state, `bench-${process.pid}-${mode.state}`));
        backend = backends.get(mode.state);
        const node = await startSbcNode({ gateways, config: benchNodeConfig({ hiding: mode.hiding, io: mode.io, extra: backend?.config }), nodeFlags: mode.v8Flags, bundle: mode.bundle, lifetimeMs: 3_600_000 });
        proxy = node;
        gcMs = () => nodeGcMs(node.httpPort);
      }
      const r: Running = { mode, proxy, backend, gcMs };
      running.push(r);
      for (let i = 0; i < 2; i++) await step(r, 200, 2000);
      console.log(`  ${mode.name} started and warmed up`);
    }
    const samples: Sample[] = [];
    for (let round = 1; round <= args.rounds; round++) {
      const order = round % 2 === 1 ? running : [...running].reverse();
      if (args.paired) {
        samples.push(...(await pairedRound(order, round, args)));
        continue;
      }
      const inRound: Sample[] = [];
      if (args.parallel) {
        // every mode's step at the same time: each sees the same machine load (paired samples)
        const got = await Promise.all(order.map(async (r) => ({ mode: r.mode.name, round, ...(await step(r, args.rate, args.calls, args.prewarm)) })));
        inRound.push(...got);
        samples.push(...got);
      }
      for (const r of args.parallel ? [] : order) {
        const s = { mode: r.mode.name, round, ...(await step(r, args.rate, args.calls, args.prewarm)) };
        inRound.push(s);
        samples.push(s);
      }
      const k = inRound.find((s) => s.mode === 'kamailio') ?? inRound.find((s) => s.mode === args.modes[0].name);
      console.log(`\nround ${round} (load ${loadavg()[0].toFixed(1)}):`);
      for (const s of inRound.sort((a, b) => args.modes.findIndex((m) => m.name === a.mode) - args.modes.findIndex((m) => m.name === b.mode))) {
        const ratio = k && s !== k ? ` = ${(s.cpuUsPerCall / k.cpuUsPerCall).toFixed(2)} x ${k.mode}` : '';
        const srv = s.serversUsPerCall === undefined ? '' : ` (+ Redis/NATS servers ${s.serversUsPerCall.toFixed(0)} µs = ${(s.cpuUsPerCall + s.serversUsPerCall).toFixed(0)})`;
        console.log(`  ${s.mode.padEnd(22)} ${s.cpuUsPerCall.toFixed(0).padStart(6)} µs CPU/call${gcText(s)}, ${s.faultsPerCall.toFixed(1)} page faults/call, ${s.switchesPerCall.toFixed(1)} context switches/call${srv}${ratio}${s.ok < s.calls ? `  ${s.calls - s.ok} FAILED (${s.why})` : ''}`);
      }
    }
    console.log(`\nmedians over ${args.rounds} rounds (ratio = median of the per-round ratios):`);
    const kamailios = args.modes.filter((m) => m.kind === 'kamailio').map((m) => m.name);
    const refs = kamailios.length > 0 ? kamailios : [args.modes[0].name];
    for (const m of args.modes) {
      const mine = samples.filter((s) => s.mode === m.name);
      const srv = mine.every((s) => s.serversUsPerCall !== undefined) ? `, servers ${median(mine.map((s) => s.serversUsPerCall!)).toFixed(0)} µs` : '';
      const gc = mine.every((s) => s.gcUsPerCall !== undefined) ? ` (GC ${median(mine.map((s) => s.gcUsPerCall!)).toFixed(0)})` : '';
      const failed = mine.reduce((a, s) => a + s.calls - s.ok, 0);
      const vs = m.kind === 'node' ? refs.map((ref) => ratioText(samples, mine, ref, args.paired)).filter(Boolean).join('; ') : '';
      console.log(`  ${m.name.padEnd(22)} ${median(mine.map((s) => s.cpuUsPerCall)).toFixed(0).padStart(6)} µs/call${gc}${srv}${vs ? `, ${vs}` : ''}${failed ? `, ${failed} failed calls` : ''}`);
    }
    if (args.max.length > 0) {
      console.log('\nhighest rate with zero failed calls (one 10 s step per rate and mode, alternating):');
      const best = new Map<string, number>();
      const out = new Set<string>();
      for (const [i, rate] of args.max.entries()) {
        const order = i % 2 === 0 ? running : [...running].reverse();
        for (const r of order) {
          if (out.has(r.mode.name)) continue;
          const s = await step(r, rate, rate * 10);
          console.log(`  ${r.mode.name.padEnd(22)} ${rate} cps: ${s.ok}/${s.calls} ok, ${s.cpuUsPerCall.toFixed(0)} µs/call, ${s.drops} datagrams dropped at its socket${s.why ? ` (${s.why})` : ''}`);
          if (s.ok === s.calls) best.set(r.mode.name, rate); else out.add(r.mode.name);
        }
      }
      for (const m of args.modes) console.log(`  ${m.name.padEnd(22)} ${best.get(m.name) ?? 'none'}${best.get(m.name) !== undefined && !out.has(m.name) ? ' (no failure up to the last rate tried)' : ''}`);
    }
  } finally {
    await stopAll();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
