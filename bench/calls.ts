// Call benchmark (`npm run bench`): sipp places calls at stepped rates through
// a proxy to two sipp gateways (dispatcher round robin), and for each step we
// print calls attempted/succeeded/failed, the proxy's CPU time per call and
// INVITE -> 200 latency p50/p99. Targets: the reference Kamailio 5.6
// (bench/kamailio) and our SBC node; `both` runs them on the same scenario
// and prints the CPU-per-call ratio sbc/kamailio. The SBC runs with its
// security steps (pike, secfilter, permissions) off, on, or both in turn
// (`--security`, default both), and the summary prints what they cost.
// `--hiding none,topoh,topos` runs the SBC once per topology-hiding mode
// (issue 6) and prints calls/s sustained, CPU per call and the ratios vs none.
//
//   npx tsx bench/calls.ts [--target kamailio|sbc|both] [--security off|on|both]
//                          [--hiding none,topoh,topos]
//                          [--rates 50,100,200,300,400] [--step-seconds 10]
//                          [--hold-ms 0] [--transport udp|tcp]
//
// Bounded: each step places rate x step-seconds calls (step <= 20 s) with a
// hard timeout; all processes run on loopback and are stopped at the end.
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { kamailioAvailable, startKamailio } from './kamailio/kamailio.ts';
import { runUac, startUas, type UasHandle } from '../test/sipp/index.ts';
import { sbcEntryExists, startSbcNode, SBC_ENTRY } from '../test/sipp/sbc-node.ts';
import { buildNode } from '../scripts/build.mjs';
import type { ProxyProcess } from '../test/sipp/proc.ts';
import type { Proto } from '../test/sipp/proc.ts';
import { DEFAULT_SCANNER_UAS } from '#libs/secfilter';
import { spawnRedis } from '../test/harness/index.ts';

type TargetName = 'kamailio' | 'sbc';

/** One measured proxy: Kamailio, or the SBC node with its security steps off or on (and a topology-hiding mode with --hiding). */
type Run = { kind: 'kamailio' } | { kind: 'sbc'; security: Security; hiding?: Hiding };

const runName = (r: Run): string =>
  r.kind === 'kamailio' ? 'kamailio' : r.hiding === undefined ? `sbc-${r.security}` : `sbc-${r.security}-${r.hiding}`;

interface Args {
  targets: TargetName[];
  /** SBC runs, in order (empty when the SBC is not a target) */
  security: Security[];
  /** --hiding: one SBC run per mode (per security setting); undefined = the topology section left out */
  hiding: Hiding[] | undefined;
  rates: number[];
  stepSeconds: number;
  holdMs: number;
  transport: Proto;
}

type Proxy = ProxyProcess;

interface StepResult {
  rate: number;
  attempted: number;
  successful: number;
  failed: number;
  /** call rate sipp actually reached, cps */
  achieved: number;
  cpuMsPerCall: number;
  p50: number | undefined;
  p99: number | undefined;
  timedOut: boolean;
  /** sipp's failure reasons, e.g. "UnexpectedMessage:3" */
  reasons: string;
  firstError: string | undefined;
}

const MAX_STEP_SECONDS = 20;
// A node in service is warm: V8 has optimized the per-call paths and the heap
// has grown to its working size (cold-start cost is a different question).
// Two rounds of 2000 calls: after one round, a step of 3000 calls at 200 cps
// still measured 0.83 ms against 0.70 for the same step repeated (2026-11-24).
const WARMUP = { calls: 2000, rate: 200, rounds: 2 };

/**
 * Where the caller sends from, for every target. Not 127.0.0.1: the node
 * exempts its own and its gateways' addresses from pike (all 127.0.0.1 here),
 * so a caller there would never be counted. Linux routes all of 127/8 to lo.
 */
const CALLER_HOST = '127.0.0.2';

type Security = 'off' | 'on';

const HIDING_MODES = ['none', 'topoh', 'topos'] as const;
type Hiding = (typeof HIDING_MODES)[number];

/**
 * The topology section of a --hiding run: every hiding feature on (Call-ID
 * masked, SDP o= and c= rewritten) so the figure is the most it costs.
 * topos keeps its dialogs in Redis, as a cluster would; none and topoh stay
 * on the memory backend (they never read state for a call).
 */
function hidingConfig(hiding: Hiding, redisUrl: string | undefined): Record<string, unknown> {
  if (hiding === 'none') return { topology: { mode: 'none' } };
  const topology = { mode: hiding, mask_callid: true, sdp: 'all', ...(hiding === 'topoh' ? { mask_key: 'bench-mask-key-0123456789abcdef' } : {}) };
  if (hiding === 'topoh') return { topology };
  if (redisUrl === undefined) throw new Error('topos needs Redis');
  // a cluster name of its own: its keys never meet another run's
  return { topology, state: { backend: 'redis', redis: { url: redisUrl } }, node: { cluster: `bench-${process.pid}` } };
}

/**
 * Config merged over the generated node config (top-level sections replace
 * the defaults). Off: the three screening steps disabled (secfilter and
 * permissions are on by default, so off is explicit). On: each step doing
 * its full per-request work with non-empty lists, none of which matches the
 * bench traffic (caller sip:sipp@127.0.0.2, R-URI sip:service@127.0.0.1, UA
 * absent), so every call must still succeed.
 */
function securityConfig(security: Security): Record<string, unknown> {
  if (security === 'off') return { pike: { enabled: false }, secfilter: { enabled: false }, permissions: { enabled: false } };
  return {
    // counted per source (3 requests per call: INVITE, ACK, BYE); far over what
    // one sipp can send in 2 s, so the caller is never banned
    pike: { enabled: true, sampling_time_unit: '2s', reqs_density_per_unit: 100_000 },
    secfilter: {
      enabled: true,
      ua: { blacklist: [...DEFAULT_SCANNER_UAS, 'evil-scanner'] },
      ip: { blacklist: ['198.51.100.0/24', '203.0.113.7'] },
      domain: { blacklist: ['spammer.example'] },
      user: { blacklist: ['sipvicious'] },
      dst: { blacklist: ['0900123456'] },
      sqli: { enabled: true },
    },
    permissions: {
      enabled: true,
      address: [
        { group: 1, ip: '127.0.0.0/8', tag: 'bench-callers' },
        { group: 2, ip: '192.0.2.10', tag: 'carrier-a' },
      ],
      // the caller is in the source group, not trusted: it goes through every check
      source_group: 1,
      trusted_group: 2,
      routing: { deny: ['ALL : "^sip:900", "^sip:00881"', '"@spammer\\.example$" : ALL'] },
      groups: { international: ['alice@example.com'] },
      policies: [{ name: 'international', ruri_pattern: '^sip:00[1-9][0-9]+@', require_group: 'international', reason: 'No permission for international calls' }],
    },
  };
}

function usage(msg: string): never {
  console.error(`${msg}\nusage: tsx bench/calls.ts [--target kamailio|sbc|both] [--security off|on|both] [--hiding none,topoh,topos] [--rates 50,100,200] [--step-seconds N<=${MAX_STEP_SECONDS}] [--hold-ms N] [--transport udp|tcp]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    const [k, v] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), argv[++i]];
    if (v === undefined) usage(`--${k} needs a value`);
    flags.set(k, v);
  }
  const known = new Set(['target', 'security', 'hiding', 'rates', 'step-seconds', 'hold-ms', 'transport']);
  for (const k of flags.keys()) if (!known.has(k)) usage(`unknown option --${k}`);

  const target = flags.get('target') ?? (kamailioAvailable() ? 'both' : 'sbc');
  if (!['kamailio', 'sbc', 'both'].includes(target)) usage(`--target must be kamailio, sbc or both, not ${target}`);
  const rates = (flags.get('rates') ?? '50,100,200,300,400').split(',').map(Number);
  if (rates.some((r) => !Number.isInteger(r) || r <= 0)) usage('--rates takes positive integers, e.g. 50,100,200');
  const stepSeconds = Number(flags.get('step-seconds') ?? 10);
  if (!(stepSeconds > 0 && stepSeconds <= MAX_STEP_SECONDS)) usage(`--step-seconds must be in (0, ${MAX_STEP_SECONDS}]`);
  const holdMs = Number(flags.get('hold-ms') ?? 0);
  if (!(holdMs >= 0 && holdMs <= 5000)) usage('--hold-ms must be 0..5000');
  const transport = flags.get('transport') ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp') usage('--transport must be udp or tcp');
  const security = flags.get('security');
  if (security !== undefined && !['off', 'on', 'both'].includes(security)) usage(`--security must be off, on or both, not ${security}`);
  if (security !== undefined && target === 'kamailio') usage('--security applies to the sbc target; add --target sbc or both');
  const hiding = flags.get('hiding')?.split(',').map((h) => h.trim());
  if (hiding !== undefined) {
    const bad = hiding.filter((h) => !(HIDING_MODES as readonly string[]).includes(h));
    if (bad.length > 0 || hiding.length === 0) usage(`--hiding takes modes from ${HIDING_MODES.join(',')}, not ${bad.join(',') || '(nothing)'}`);
    if (new Set(hiding).size !== hiding.length) usage('--hiding lists a mode twice');
    if (target === 'kamailio') usage('--hiding applies to the sbc target; add --target sbc or both');
  }
  // with --hiding the security steps default to off: the figure is what hiding costs on its own
  const securityDefault: Security[] = hiding !== undefined ? ['off'] : ['off', 'on'];
  return {
    targets: target === 'both' ? ['kamailio', 'sbc'] : [target as TargetName],
    security: target === 'kamailio' ? [] : security === 'off' || security === 'on' ? [security] : security === 'both' ? ['off', 'on'] : securityDefault,
    hiding: hiding as Hiding[] | undefined,
    rates,
    stepSeconds,
    holdMs,
    transport,
  };
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  return (r.stdout ?? '').split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'not found';
}

async function startProxy(run: Run, gateways: UasHandle[], transport: Proto, redisUrl: string | undefined): Promise<Proxy> {
  if (run.kind === 'kamailio') {
    return startKamailio({ gateways, logLevel: -1 });
  }
  await buildNode(); // the bench measures what npm start runs: the bundle of the current sources
  const hiding = run.hiding === undefined ? {} : hidingConfig(run.hiding, redisUrl);
  // the one sipp caller is a trunk: at 400 cps it holds ~4,000 live transactions, over the per-source default
  // (tm.max_transactions_per_source, docs/limits.md), which is sized for many sources, not one load generator
  const tm = { max_transactions_per_source: 10_000 };
  return startSbcNode({ gateways, transport, config: { ...securityConfig(run.security), ...hiding, tm } });
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? '-' : n.toFixed(digits));

function printHeader(): void {
  console.log(['cps', 'attempted', 'ok', 'failed', 'achieved', 'cpu ms/call', 'p50 ms', 'p99 ms'].map((h) => h.padStart(13)).join(''));
}

function printRow(s: StepResult): void {
  const cells = [String(s.rate), String(s.attempted), String(s.successful), String(s.failed), fmt(s.achieved, 1), fmt(s.cpuMsPerCall, 3), fmt(s.p50), fmt(s.p99)];
  const notes = [s.reasons, s.timedOut ? 'step hit its timeout' : ''].filter((n) => n.length > 0).join(', ');
  console.log(cells.map((c) => c.padStart(13)).join('') + (notes ? `  (${notes})` : ''));
}

async function runStep(proxy: Proxy, rate: number, args: Args): Promise<StepResult> {
  const calls = Math.round(rate * args.stepSeconds);
  const cpu0 = proxy.cpuMs();
  const r = await runUac({
    target: `${proxy.host}:${proxy.port}`,
    calls,
    rate,
    holdMs: args.holdMs,
    transport: args.transport,
    localHost: CALLER_HOST,
    // twice the planned duration, so an overloaded proxy still ends the step
    timeoutMs: args.stepSeconds * 2000 + args.holdMs + 5000,
  });
  const cpuMs = proxy.cpuMs() - cpu0;
  // first event sipp logged: usually names the unexpected message
  const firstError = r.errors.split('\n').find((l) => /^\d{4}-/.test(l))?.slice(0, 220);
  if (r.artifactsDir) rmSync(r.artifactsDir, { recursive: true, force: true });
  return {
    rate,
    attempted: r.attempted,
    successful: r.successful,
    failed: r.attempted - r.successful, // calls still unfinished at the end count as failed
    achieved: r.sendRate ?? r.callRate,
    cpuMsPerCall: r.attempted > 0 ? cpuMs / r.attempted : 0,
    p50: r.setup?.p50,
    p99: r.setup?.p99,
    timedOut: r.timedOut,
    reasons: Object.entries(r.failedBy).map(([k, v]) => `${k}:${v}`).join(' '),
    firstError,
  };
}

/** Last few log lines of the proxy, shown under a step that had failures. */
function printLogTail(proxy: Proxy): void {
  const lines = proxy.logTail(4000).split('\n').filter((l) => l.trim().length > 0).slice(-5);
  for (const l of lines) console.log(`    | ${l.slice(0, 200)}`);
}

async function benchRun(run: Run, args: Args, redisUrl: string | undefined): Promise<StepResult[] | undefined> {
  const name = runName(run);
  console.log(`\n== ${name} ==`);
  const gateways = [
    await startUas({ scenario: 'uas', transport: args.transport, lifetimeMs: 900_000 }),
    await startUas({ scenario: 'uas', transport: args.transport, lifetimeMs: 900_000 }),
  ];
  let proxy: Proxy | undefined;
  try {
    try {
      proxy = await startProxy(run, gateways, args.transport, redisUrl);
    } catch (err) {
      console.log(`${name} could not start, skipped: ${(err as Error).message.split('\n').slice(0, 12).join('\n')}`);
      return undefined;
    }
    // warm-up (JIT, socket buffers, tm hash tables), not reported
    for (let round = 0; round < WARMUP.rounds; round++) {
      await runUac({ target: `${proxy.host}:${proxy.port}`, calls: WARMUP.calls, rate: WARMUP.rate, transport: args.transport, localHost: CALLER_HOST, timeoutMs: 20_000, traceMessages: false });
    }
    printHeader();
    const steps: StepResult[] = [];
    for (const rate of args.rates) {
      const s = await runStep(proxy, rate, args);
      printRow(s);
      if (s.firstError) console.log(`    sipp: ${s.firstError}`);
      if (s.failed > 0) printLogTail(proxy);
      steps.push(s);
    }
    const best = highestClean(steps);
    console.log(`${name}: highest call rate with zero failed calls: ${best === undefined ? 'none' : `${best} cps`}`);
    return steps;
  } finally {
    await proxy?.stop();
    await Promise.all(gateways.map((g) => g.stop()));
  }
}

/** Highest step rate with no failed call whose achieved rate came within 10% of the target. */
function highestClean(steps: StepResult[]): number | undefined {
  let best: number | undefined;
  for (const s of steps) {
    if (s.failed === 0 && s.successful === s.attempted && s.achieved >= 0.9 * s.rate) best = Math.max(best ?? 0, s.rate);
  }
  return best;
}

const d = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);

/** Per rate: CPU per call of `a` over `b`, and the latency `a` adds (p50, p99). */
function printComparison(title: string, a: StepResult[], b: StepResult[]): void {
  console.log(`\n== ${title} ==`);
  console.log(['cps', 'cpu/call ratio', 'p50 +ms', 'p99 +ms'].map((h) => h.padStart(15)).join(''));
  for (const bs of b) {
    const as = a.find((x) => x.rate === bs.rate);
    if (!as) continue;
    const ratio = bs.cpuMsPerCall > 0 ? as.cpuMsPerCall / bs.cpuMsPerCall : undefined;
    console.log([String(bs.rate), fmt(ratio), fmt(d(as.p50, bs.p50)), fmt(d(as.p99, bs.p99))].map((c) => c.padStart(15)).join(''));
  }
}

/**
 * What topology hiding costs, per security setting: for each mode the highest
 * call rate sustained with no failed call and, per step, the rate reached and
 * CPU per call; then both as ratios over the `none` run.
 */
function printHidingCost(security: Security, byMode: Map<Hiding, StepResult[]>): void {
  const none = byMode.get('none');
  console.log(`\n== topology hiding, security ${security} ==`);
  console.log(['mode', 'cps', 'achieved', 'cpu ms/call', 'cpu / none', 'p50 ms', 'p99 ms'].map((h) => h.padStart(12)).join(''));
  for (const [mode, steps] of byMode) {
    for (const st of steps) {
      const base = none?.find((x) => x.rate === st.rate);
      const ratio = base !== undefined && base.cpuMsPerCall > 0 ? st.cpuMsPerCall / base.cpuMsPerCall : undefined;
      const cells = [mode, String(st.rate), fmt(st.achieved, 1), fmt(st.cpuMsPerCall, 3), fmt(ratio), fmt(st.p50), fmt(st.p99)];
      console.log(cells.map((c) => c.padStart(12)).join('') + (st.failed > 0 ? `  (${st.failed} failed)` : ''));
    }
  }
  const noneBest = none === undefined ? undefined : highestClean(none);
  for (const [mode, steps] of byMode) {
    const best = highestClean(steps);
    const ratio = best !== undefined && noneBest !== undefined ? ` (${fmt(best / noneBest)} x none)` : '';
    console.log(`hiding ${mode}: sustained ${best === undefined ? 'none' : `${best} cps`}${ratio}`);
  }
}

/** What the security steps cost: per rate, CPU per call off and on, their ratio, and the latency they add. */
function printSecurityCost(off: StepResult[], on: StepResult[]): void {
  console.log('\n== sbc security on / off ==');
  console.log(['cps', 'cpu off ms', 'cpu on ms', 'ratio on/off', 'p50 off', 'p50 on', 'p50 +ms', 'p99 off', 'p99 on', 'p99 +ms'].map((h) => h.padStart(13)).join(''));
  for (const o of off) {
    const n = on.find((x) => x.rate === o.rate);
    if (!n) continue;
    const ratio = o.cpuMsPerCall > 0 ? n.cpuMsPerCall / o.cpuMsPerCall : undefined;
    const cells = [String(o.rate), fmt(o.cpuMsPerCall, 3), fmt(n.cpuMsPerCall, 3), fmt(ratio), fmt(o.p50), fmt(n.p50), fmt(d(n.p50, o.p50)), fmt(o.p99), fmt(n.p99), fmt(d(n.p99, o.p99))];
    const unclean = o.failed > 0 || n.failed > 0 ? `  (failed calls: off ${o.failed}, on ${n.failed})` : '';
    console.log(cells.map((c) => c.padStart(13)).join('') + unclean);
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Ctrl-C / SIGTERM: exit through process.exit so the kit's exit hook kills its process groups
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

  console.log('call benchmark: sipp uac -> proxy -> 2 sipp uas (round robin), loopback');
  console.log(`machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), load avg ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared machine: figures are noisy)`);
  console.log(`sipp: ${version('sipp', ['-v'])}; kamailio: ${version('/usr/sbin/kamailio', ['-v'])}; node ${process.version}`);
  console.log(`steps: ${args.rates.join(', ')} cps x ${args.stepSeconds} s, hold ${args.holdMs} ms, ${args.transport}, caller ${CALLER_HOST}; cpu = proxy user+sys over all its processes / calls attempted; latency = INVITE -> 200 at the caller`);
  if (args.targets.includes('sbc')) {
    console.log(`sbc security steps (pike, secfilter, permissions): ${args.security.join(', then ')}`);
    if (args.hiding) console.log(`sbc topology hiding: ${args.hiding.join(', then ')} (mask_callid on, sdp all; topos dialogs in Redis)`);
  }

  if (args.targets.includes('sbc') && !sbcEntryExists()) {
    console.log(`\nsbc: ${SBC_ENTRY} does not exist yet; skipping the SBC node${args.targets.length > 1 ? ', running kamailio only' : ''}.`);
    args.targets = args.targets.filter((t) => t !== 'sbc');
  }
  if (args.targets.length === 0) {
    console.log('nothing to benchmark.');
    return;
  }

  const sbcRuns = (security: Security): Run[] =>
    args.hiding === undefined ? [{ kind: 'sbc', security }] : args.hiding.map((hiding) => ({ kind: 'sbc', security, hiding }));
  const runs: Run[] = args.targets.flatMap((t): Run[] => (t === 'kamailio' ? [{ kind: 'kamailio' }] : args.security.flatMap(sbcRuns)));
  const results = new Map<string, StepResult[]>();
  const redis = await redisForTopos(runs);
  try {
    for (const run of runs) {
      const steps = await benchRun(run, args, redis?.url);
      if (steps) results.set(runName(run), steps);
    }
  } finally {
    await redis?.stop();
  }
  if (args.hiding && args.targets.includes('sbc')) {
    for (const security of args.security) {
      const byMode = new Map<Hiding, StepResult[]>();
      for (const mode of args.hiding) {
        const steps = results.get(runName({ kind: 'sbc', security, hiding: mode }));
        if (steps) byMode.set(mode, steps);
      }
      printHidingCost(security, byMode);
    }
  }

  const k = results.get('kamailio');
  const off = results.get('sbc-off');
  const on = results.get('sbc-on');
  if (k && off) printComparison('sbc-off / kamailio', off, k);
  if (k && on) printComparison('sbc-on / kamailio', on, k);
  if (off && on) printSecurityCost(off, on);
  for (const [name, steps] of results) {
    const best = highestClean(steps);
    console.log(`result ${name}: highest sustained call rate with zero failed calls: ${best === undefined ? 'none' : `${best} cps`}`);
  }
}

/** topos keeps dialogs in Redis: REDIS_URL when set, else a redis-server of our own on a free port (stopped at the end). */
async function redisForTopos(runs: Run[]): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (!runs.some((r) => r.kind === 'sbc' && r.hiding === 'topos')) return undefined;
  if (process.env.REDIS_URL) {
    console.log(`topos: Redis at REDIS_URL ${process.env.REDIS_URL}`);
    return { url: process.env.REDIS_URL, stop: async () => undefined };
  }
  const srv = await spawnRedis();
  // also on Ctrl-C / SIGTERM (main exits through process.exit): kill() sends SIGKILL synchronously
  process.once('exit', () => void srv.kill());
  console.log(`topos: spawned redis-server at ${srv.url}`);
  return srv;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
