// npm run bench:state — ops/s and Redis round trips per operation for each
// kind of shared state, memory vs Redis (auto-pipelining on). Median of 3
// runs per figure; bounded well under 60 s. Uses REDIS_URL when set,
// otherwise starts a private redis-server on a free port.
//
// Round trips are counted on the server: INFO stats `total_reads_processed`
// is the number of socket reads Redis served; a request the client sent in
// one write (one command, one script, or one auto-pipelined batch) costs one
// read. "alone" runs one call at a time (the latency-bound hot path);
// "x64" keeps 64 calls in flight so auto-pipelining batches them.
// `cmds/op` comes from INFO commandstats (commands Redis executed per call,
// including those run inside Lua scripts).
import { Redis } from 'ioredis';
import { spawnRedis } from '../test/harness/servers.ts';
import { createMemoryState, createRedisState, type SharedState } from '../libs/state/index.ts';

const RUN_MS = 150;
const RUNS = 3;
const INFLIGHT = 64;
const ALONE_OPS = 200;
const DEADLINE = Date.now() + 55_000;

type Op = (s: SharedState, i: number) => Promise<unknown>;

interface Case {
  name: string;
  /** prepares state once per backend (e.g. keys to read) */
  setup?: (s: SharedState) => Promise<void>;
  op: Op;
}

const aor = (i: number) => `user${i % 500}@bench`;
const cases: Case[] = [
  {
    name: 'counters.flush (100 keys)',
    op: async (s, i) => {
      const c = counter(s);
      for (let k = 0; k < 100; k++) c.add(`10.0.${i % 200}.${k}`);
      await c.flush();
    },
  },
  { name: 'tables.set', op: (s, i) => s.tables.set('ipban', `10.1.${i % 250}.${i % 7}`, 'flood', 60_000) },
  { name: 'tables.get', setup: async (s) => { await s.tables.set('ipban', 'hot', 'x', 60_000); }, op: (s) => s.tables.get('ipban', 'hot') },
  { name: 'tables.incr', op: (s, i) => s.tables.incr('authfail', `u${i % 300}`, 1, 60_000) },
  {
    name: 'dialogs.put (+branch)',
    op: (s, i) => s.dialogs.put(`tok${i}`, { rr: ['<sip:10.0.0.1;lr>'], callee: 'sip:b@10.0.0.2' },
      { dialogExpireMs: 60_000, branchExpireMs: 5000, branch: { branchId: `z9hG4bK${i}`, data: 'SIP/2.0/UDP 10.0.0.9;branch=x' } }),
  },
  { name: 'dialogs.get', setup: (s) => s.dialogs.put('hot', { a: 1 }, { dialogExpireMs: 60_000, branchExpireMs: 1000 }), op: (s) => s.dialogs.get('hot') },
  { name: 'callLoad.start', op: (s, i) => s.callLoad.start(`gw${i % 4}`, `c${i}`, 60_000) },
  { name: 'callLoad.end', op: (s, i) => s.callLoad.end(`gw${i % 4}`, `c${i}`) },
  { name: 'callLoad.counts (5 dests)', op: (s) => s.callLoad.counts(['gw0', 'gw1', 'gw2', 'gw3', 'gw4']) },
  { name: 'locations.save', op: (s, i) => s.locations.save(aor(i), { uri: `sip:${i % 3}@10.9.0.1`, expiresMs: 3_600_000, callId: `r${i}`, cseq: i }) },
  { name: 'locations.lookup', op: (s, i) => s.locations.lookup(aor(i)) },
  { name: 'config.get', setup: async (s) => { await s.config.put('dispatcher', 'x'.repeat(2000), 1); }, op: (s) => s.config.get('dispatcher') },
  {
    // What a dialog-creating INVITE costs: topos record + first branch, and
    // the call-load pick, issued together -> one pipelined round trip.
    name: 'hot path: INVITE (topos put + startLeastLoaded)',
    op: (s, i) => Promise.all([
      s.dialogs.put(`inv${i}`, { via: 'v', rr: 'r' }, { dialogExpireMs: 60_000, branchExpireMs: 5000, branch: { branchId: `b${i}`, data: 'v' } }),
      s.callLoad.startLeastLoaded(['gwA', 'gwB', 'gwC'], `inv${i}`, 60_000),
    ]),
  },
];

const counters = new WeakMap<SharedState, ReturnType<SharedState['counters']>>();
function counter(s: SharedState) {
  let c = counters.get(s);
  if (!c) { c = s.counters('pike', { windowMs: 2000, flushIntervalMs: 3_600_000, maxBatch: 100_000 }); counters.set(s, c); }
  return c;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** ops/s with `inflight` workers each awaiting its own calls, for RUN_MS. */
async function throughput(s: SharedState, op: Op, inflight: number, base: { i: number }): Promise<{ ops: number; ms: number }> {
  const start = performance.now();
  const end = start + RUN_MS;
  let ops = 0;
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (performance.now() < end) { await op(s, base.i++); ops++; }
  }));
  return { ops, ms: performance.now() - start };
}

class ServerProbe {
  constructor(private readonly redis: Redis) {}
  async snapshot(): Promise<{ reads: number; cmds: number }> {
    // One INFO with two sections: one read on the server.
    const info = await this.redis.info('stats', 'commandstats');
    const reads = Number(/total_reads_processed:(\d+)/.exec(info)?.[1] ?? NaN);
    let cmds = 0;
    for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info') cmds += Number(m[2]);
    return { reads, cmds };
  }
  /** reads and commands per op of `fn`, excluding the probe's own INFO reads */
  async measure(n: number, fn: () => Promise<void>): Promise<{ rt: number; cmds: number }> {
    const a = await this.snapshot();
    await fn();
    const b = await this.snapshot();
    // b's own INFO is one read inside the delta (a's was counted before a returned)
    return { rt: (b.reads - a.reads - 1) / n, cmds: (b.cmds - a.cmds) / n };
  }
}

async function main(): Promise<void> {
  const own = process.env.REDIS_URL ? undefined : await spawnRedis();
  const url = process.env.REDIS_URL ?? own!.url;
  const probe = new Redis(url, { enableAutoPipelining: false });
  const sp = new ServerProbe(probe);
  const memory = createMemoryState();
  const redis = await createRedisState({ url, cluster: `bench-${process.pid}` });
  console.log(`bench:state  redis ${url}${own ? ' (spawned)' : ' (REDIS_URL: other clients may add reads)'}  run ${RUN_MS} ms x ${RUNS}, median`);
  console.log('rt/op = Redis socket reads per call (INFO total_reads_processed delta); cmds/op = commands executed per call (INFO commandstats)');
  console.log('');
  const header = ['operation', 'memory ops/s', 'redis ops/s alone', 'rt/op alone', 'cmds/op', 'redis ops/s x64', 'rt/op x64'];
  const rows: string[][] = [];
  try {
    for (const c of cases) {
      if (Date.now() > DEADLINE) { console.log(`(time budget reached, skipped from ${c.name})`); break; }
      await c.setup?.(memory);
      await c.setup?.(redis);
      const base = { i: 0 };
      const mem: number[] = [];
      const alone: number[] = [];
      const many: number[] = [];
      const rtAlone: number[] = [];
      const rtMany: number[] = [];
      const cmds: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const m = await throughput(memory, c.op, 1, base);
        mem.push(m.ops / m.ms * 1000);
        const a = await throughput(redis, c.op, 1, base);
        alone.push(a.ops / a.ms * 1000);
        const x = await throughput(redis, c.op, INFLIGHT, base);
        many.push(x.ops / x.ms * 1000);
        // round trips: a fixed number of calls one at a time, then 64 in flight
        const seq = await sp.measure(ALONE_OPS, async () => { for (let k = 0; k < ALONE_OPS; k++) await c.op(redis, base.i++); });
        rtAlone.push(seq.rt);
        cmds.push(seq.cmds);
        const par = await sp.measure(ALONE_OPS * 4, async () => {
          await Promise.all(Array.from({ length: INFLIGHT }, async (_, w) => {
            for (let k = w; k < ALONE_OPS * 4; k += INFLIGHT) await c.op(redis, base.i++);
          }));
        });
        rtMany.push(par.rt);
      }
      rows.push([c.name, fmt(median(mem)), fmt(median(alone)), median(rtAlone).toFixed(2), median(cmds).toFixed(2), fmt(median(many)), median(rtMany).toFixed(2)]);
      printRow(rows.at(-1)!, header);
    }
  } finally {
    await memory.close();
    await redis.close();
    probe.disconnect();
    await own?.stop();
  }
  console.log('');
  console.log('notes: counters.add itself is local and synchronous (no Redis): "counters.flush (100 keys)" is 100 adds + one flush.');
  console.log('The hot-path row issues 2 calls in one tick (2 SET + 1 EVALSHA); auto-pipelining sends them in one write: rt/op alone 1.');
  console.log('cmds/op includes the commands a Lua script runs inside Redis (they cost server CPU, not round trips).');
}

let printedHeader = false;
function printRow(row: string[], header: string[]): void {
  const w = [48, 13, 18, 12, 8, 16, 10];
  const line = (cells: string[]) => cells.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join(' ');
  if (!printedHeader) { console.log(line(header)); printedHeader = true; }
  console.log(line(row));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
