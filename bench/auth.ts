// Digest authentication benchmark (issue 16), through one SBC node with the
// shared state in memory and in Redis:
//  1. REGISTER: sipp phones register with digest (REGISTER, 401, REGISTER with
//     credentials, 200: two transactions per registration) at stepped rates;
//     per step: registrations attempted / ok, the rate reached, the node's CPU
//     time per registration.
//  2. INVITE: the same calls (INVITE/200/ACK/BYE to a sipp gateway) from a
//     caller the node does not challenge and from a local user it does (407,
//     ACK, INVITE with credentials): the node's CPU per call both ways, and
//     what proxy authentication adds.
//
//   npx tsx bench/auth.ts [--backends memory,redis] [--rates 100,200,400,800] [--call-rate 100] [--step-seconds 5]
//
// Redis: REDIS_URL when set, else a redis-server of our own on a free port.
// Everything binds to 127.0.0.1 and is stopped at the end.
import { buildNode } from '../scripts/build.mjs';
import { spawnRedis } from '../test/harness/index.ts';
import { adminPost, runUac, startSbcNode, startUas, type SbcNodeHandle, type UasHandle } from '../test/sipp/index.ts';

type Backend = 'memory' | 'redis';
const DOMAIN = 'example.com';
// not 127.0.0.1: that is the (unused) gateway's address, and gateways are never challenged
const PHONES_HOST = '127.0.0.2';
const USERS = 5;

interface Args {
  backends: Backend[];
  rates: number[];
  callRate: number;
  stepSeconds: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const backends = (get('--backends') ?? 'memory,redis').split(',') as Backend[];
  for (const b of backends) if (b !== 'memory' && b !== 'redis') throw new Error(`--backends: memory or redis, got ${b}`);
  const rates = (get('--rates') ?? '100,200,400,800').split(',').map(Number);
  const stepSeconds = Math.min(20, Number(get('--step-seconds') ?? 5));
  const callRate = Number(get('--call-rate') ?? 100);
  return { backends, rates, callRate, stepSeconds };
}

async function startNode(backend: Backend, redisUrl: string | undefined, gateway?: UasHandle): Promise<SbcNodeHandle> {
  const node = await startSbcNode({
    gateways: [gateway === undefined ? { host: '127.0.0.1', port: 9 } : { host: gateway.host, port: gateway.port }],
    lifetimeMs: 900_000,
    config: {
      node: { cluster: `bench-reg-${process.pid}` },
      log: { level: 'warn' },
      auth: { enabled: true, domains: [DOMAIN], secret: 'bench-register-nonce-secret', algorithms: ['MD5', 'SHA-256'] },
      registrar: { enabled: gateway === undefined },
      ...(backend === 'redis' ? { state: { backend: 'redis', redis: { url: redisUrl } } } : {}),
    },
  });
  for (let i = 0; i < USERS; i++) {
    const res = await fetch(`http://${node.host}:${node.httpPort}/admin/subscriber.add`, adminPost(node, { username: `phone${i}`, domain: DOMAIN, password: `pw-${i}` }));
    if (!res.ok && res.status !== 409) throw new Error(`subscriber.add: ${res.status} ${await res.text()}`);
  }
  return node;
}

interface Step {
  rate: number;
  attempted: number;
  ok: number;
  achieved: number;
  cpuMsPerRegister: number;
}

/** One sipp per user slot would be many processes: every sipp registers one user, users spread over 5 sipps. */
async function runStep(node: SbcNodeHandle, rate: number, seconds: number): Promise<Step> {
  const sipps = 5;
  const calls = Math.round((rate * seconds) / sipps);
  const cpu0 = node.cpuMs();
  const runs = await Promise.all(Array.from({ length: sipps }, (_, i) => runUac({
    scenario: 'uac_register_auth',
    target: `${node.host}:${node.port}`,
    localHost: PHONES_HOST,
    service: `phone${i}`,
    calls,
    rate: rate / sipps,
    timeoutMs: seconds * 2000 + 5000,
    traceMessages: false,
    extraArgs: ['-key', 'domain', DOMAIN, '-auth_uri', DOMAIN, '-au', `phone${i}`, '-ap', `pw-${i}`],
  })));
  const cpuMs = node.cpuMs() - cpu0;
  const attempted = runs.reduce((s, r) => s + r.attempted, 0);
  const ok = runs.reduce((s, r) => s + r.successful, 0);
  const wallS = Math.max(...runs.map((r) => r.wallMs)) / 1000;
  return { rate, attempted, ok, achieved: ok / wallS, cpuMsPerRegister: ok > 0 ? cpuMs / ok : 0 };
}

interface CallStep {
  kind: 'no auth' | 'proxy auth';
  attempted: number;
  ok: number;
  cpuMsPerCall: number;
}

/** Calls at one rate: from 127.0.0.3 as a caller of no local domain (not challenged), or as local user phone0 (407 first). */
async function runCalls(node: SbcNodeHandle, kind: CallStep['kind'], rate: number, seconds: number): Promise<CallStep> {
  const calls = Math.round(rate * seconds);
  const cpu0 = node.cpuMs();
  const auth = kind === 'proxy auth'
    ? { scenario: 'uac_auth', extraArgs: ['-key', 'user', 'phone0', '-key', 'domain', DOMAIN, '-au', 'phone0', '-ap', 'pw-0', '-auth_uri', `service@${node.host}:${node.port};transport=UDP`] }
    : { scenario: 'uac', extraArgs: [] };
  const r = await runUac({ ...auth, target: `${node.host}:${node.port}`, localHost: kind === 'proxy auth' ? PHONES_HOST : '127.0.0.3', calls, rate, timeoutMs: seconds * 2000 + 5000, traceMessages: false });
  const cpuMs = node.cpuMs() - cpu0;
  return { kind, attempted: r.attempted, ok: r.successful, cpuMsPerCall: r.successful > 0 ? cpuMs / r.successful : 0 };
}

async function inviteBench(backend: Backend, args: Args, redisUrl: string | undefined): Promise<string> {
  const gateway = await startUas({ scenario: 'uas', lifetimeMs: 900_000 });
  const node = await startNode(backend, redisUrl, gateway);
  try {
    await runCalls(node, 'no auth', 50, 2);
    await runCalls(node, 'proxy auth', 50, 2);
    // alternating pairs: the machine is shared, so each kind runs twice, interleaved
    const steps: CallStep[] = [];
    for (let round = 0; round < 2; round++) {
      for (const kind of ['no auth', 'proxy auth'] as const) {
        const s = await runCalls(node, kind, args.callRate, args.stepSeconds);
        console.log([kind, s.attempted, s.ok, s.cpuMsPerCall.toFixed(3)].map((c) => String(c).padStart(12)).join(''));
        steps.push(s);
      }
    }
    const mean = (k: CallStep['kind']) => { const xs = steps.filter((s) => s.kind === k); return xs.reduce((a, s) => a + s.cpuMsPerCall, 0) / xs.length; };
    const plain = mean('no auth');
    const authed = mean('proxy auth');
    return `result ${backend}: INVITE at ${args.callRate} cps, CPU per call ${plain.toFixed(3)} ms without auth, ${authed.toFixed(3)} ms with proxy auth (+${(authed - plain).toFixed(3)} ms, x${(authed / plain).toFixed(2)})`;
  } finally {
    await node.stop();
    await gateway.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await buildNode();
  let redis: { url: string; stop(): Promise<void> } | undefined;
  if (args.backends.includes('redis')) {
    if (process.env.REDIS_URL) redis = { url: process.env.REDIS_URL, stop: async () => undefined };
    else {
      const srv = await spawnRedis();
      process.once('exit', () => void srv.kill());
      redis = srv;
    }
  }
  console.log(`REGISTER with digest (REGISTER, 401, REGISTER + Authorization, 200), ${args.stepSeconds} s steps, 5 sipp phones`);
  const summary: string[] = [];
  try {
    for (const backend of args.backends) {
      console.log(`\n== ${backend} ==`);
      console.log(['reg/s', 'attempted', 'ok', 'achieved/s', 'cpu ms/reg'].map((h) => h.padStart(12)).join(''));
      const node = await startNode(backend, redis?.url);
      try {
        await runStep(node, 50, 2); // warm-up, not reported
        let best: Step | undefined;
        for (const rate of args.rates) {
          const s = await runStep(node, rate, args.stepSeconds);
          console.log([s.rate, s.attempted, s.ok, s.achieved.toFixed(1), s.cpuMsPerRegister.toFixed(3)].map((c) => String(c).padStart(12)).join(''));
          if (s.ok === s.attempted && s.achieved >= 0.9 * rate) best = s;
        }
        summary.push(`result ${backend}: highest clean rate ${best ? `${best.rate} REGISTER/s, ${best.cpuMsPerRegister.toFixed(3)} ms CPU per registration` : 'none'}`);
      } finally {
        await node.stop();
      }
      console.log(`\n== ${backend}: INVITE, ${args.callRate} cps ==`);
      console.log(['calls', 'attempted', 'ok', 'cpu ms/call'].map((h) => h.padStart(12)).join(''));
      summary.push(await inviteBench(backend, args, redis?.url));
    }
  } finally {
    await redis?.stop();
  }
  for (const l of summary) console.log(l);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
