// REGISTER benchmark (issue 16): sipp phones register with digest
// authentication (REGISTER, 401, REGISTER with credentials, 200: two
// transactions per registration) at stepped rates through one SBC node, with
// the shared state in memory and in Redis. For each step: registrations
// attempted / ok, the rate reached, and the node's CPU time per registration.
//
//   npx tsx bench/register.ts [--backends memory,redis] [--rates 100,200,400,800] [--step-seconds 5]
//
// Redis: REDIS_URL when set, else a redis-server of our own on a free port.
// Everything binds to 127.0.0.1 and is stopped at the end.
import { buildNode } from '../scripts/build.mjs';
import { spawnRedis } from '../test/harness/index.ts';
import { adminPost, runUac, startSbcNode, type SbcNodeHandle } from '../test/sipp/index.ts';

type Backend = 'memory' | 'redis';
const DOMAIN = 'example.com';
// not 127.0.0.1: that is the (unused) gateway's address, and gateways are never challenged
const PHONES_HOST = '127.0.0.2';
const USERS = 5;

interface Args {
  backends: Backend[];
  rates: number[];
  stepSeconds: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
  const backends = (get('--backends') ?? 'memory,redis').split(',') as Backend[];
  for (const b of backends) if (b !== 'memory' && b !== 'redis') throw new Error(`--backends: memory or redis, got ${b}`);
  const rates = (get('--rates') ?? '100,200,400,800').split(',').map(Number);
  const stepSeconds = Math.min(20, Number(get('--step-seconds') ?? 5));
  return { backends, rates, stepSeconds };
}

async function startNode(backend: Backend, redisUrl: string | undefined): Promise<SbcNodeHandle> {
  const node = await startSbcNode({
    gateways: [{ host: '127.0.0.1', port: 9 }],
    lifetimeMs: 900_000,
    config: {
      node: { cluster: `bench-reg-${process.pid}` },
      log: { level: 'warn' },
      auth: { enabled: true, domains: [DOMAIN], secret: 'bench-register-nonce-secret', algorithms: ['MD5', 'SHA-256'] },
      // a phone that registers at a high rate must not trip the brute-force block: it never fails
      registrar: { enabled: true },
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
    }
  } finally {
    await redis?.stop();
  }
  for (const l of summary) console.log(l);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
