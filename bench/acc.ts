// Accounting benchmark (`npm run bench:acc`): what accounting costs on an SBC
// node, and how fast the writer empties the queue.
//
// Two node processes on the same shared Redis state, one with accounting on
// (queue sink), one without, both warmed up; sipp steps of the same rate go
// to one and then the other, alternating (off, on, off, on...), so the load
// others put on the machine falls on both alike. Printed: CPU per call of
// each step, the mean of each setting and what accounting adds, and the
// Redis round trips it adds (queue adds per call). Then the cdr-writer
// (in-process) writes the backlog those calls left in the queue to
// PostgreSQL: records/s and events/s.
//
//   npx tsx bench/acc.ts [--rate 200] [--step-seconds 10] [--pairs 3]
//
// PostgreSQL: DATABASE_URL, else a private cluster (test/harness/postgres.ts);
// Redis: a redis-server of its own. Everything on loopback, stopped at the end.
import { cpus, loadavg } from 'node:os';
import pino from 'pino';
import pg from 'pg';
import { Registry } from 'prom-client';
import { startCdrWriter } from '#libs/acc';
import { buildNode } from '../scripts/build.mjs';
import { createTestDatabase, findPostgres, spawnRedis } from '../test/harness/index.ts';
import { runUac, startSbcNode, startUas, type SbcNodeHandle } from '../test/sipp/index.ts';
import { adminPost } from '../test/sipp/sbc-node.ts';

const CALLER_HOST = '127.0.0.2';
const WARMUP = { calls: 2000, rate: 200, rounds: 2 };

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

interface Step { setting: 'off' | 'on'; calls: number; ok: number; cpuMsPerCall: number }

async function step(node: SbcNodeHandle, setting: 'off' | 'on', rate: number, seconds: number): Promise<Step> {
  const calls = Math.round(rate * seconds);
  const cpu0 = node.cpuMs();
  const r = await runUac({ target: `${node.host}:${node.port}`, calls, rate, localHost: CALLER_HOST, timeoutMs: seconds * 2000 + 5000, traceMessages: false });
  return { setting, calls: r.attempted, ok: r.successful, cpuMsPerCall: r.attempted > 0 ? (node.cpuMs() - cpu0) / r.attempted : 0 };
}

async function accStats(node: SbcNodeHandle): Promise<{ emitted: number; batchesSent: number; dropped: number }> {
  const res = await fetch(`http://${node.host}:${node.httpPort}/admin/acc.stats`, adminPost(node));
  const body = (await res.json()) as { result: { node: { emitted: number; batchesSent: number; dropped: number } } };
  return body.result.node;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function main(): Promise<void> {
  const rate = arg('rate', 200);
  const seconds = Math.min(20, arg('step-seconds', 10));
  const pairs = Math.min(10, arg('pairs', 3));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
  console.log('accounting benchmark: sipp uac -> sbc node -> 2 sipp uas; accounting off vs on (queue sink), then the cdr-writer draining the queue');
  console.log(`machine: ${cpus().length} cpus, load avg ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared machine: figures are noisy; steps alternate off/on so load falls on both)`);
  console.log(`steps: ${pairs} pairs of ${rate} cps x ${seconds} s; cpu = node user+sys / calls attempted`);

  await buildNode();
  const redis = await spawnRedis();
  const pgServer = await findPostgres();
  const db = await createTestDatabase(pgServer.url, 'benchacc');
  const cluster = `bench-acc-${process.pid}`;
  const gateways = [await startUas({ scenario: 'uas', lifetimeMs: 900_000 }), await startUas({ scenario: 'uas', lifetimeMs: 900_000 })];
  const common = { node: { cluster }, state: { backend: 'redis', redis: { url: redis.url } }, pike: { enabled: false }, secfilter: { enabled: false }, permissions: { enabled: false }, log: { level: 'warn' } };
  const nodes: SbcNodeHandle[] = [];
  try {
    const off = await startSbcNode({ gateways, config: { ...common, node: { id: 'off', cluster } } });
    nodes.push(off);
    const on = await startSbcNode({ gateways, config: { ...common, node: { id: 'on', cluster }, acc: { enabled: true } } });
    nodes.push(on);
    for (const n of [off, on]) {
      for (let i = 0; i < WARMUP.rounds; i++) await runUac({ target: `${n.host}:${n.port}`, calls: WARMUP.calls, rate: WARMUP.rate, localHost: CALLER_HOST, timeoutMs: 30_000, traceMessages: false });
    }
    const before = await accStats(on);
    console.log(['setting', 'calls', 'ok', 'cpu ms/call'].map((h) => h.padStart(12)).join(''));
    const steps: Step[] = [];
    for (let p = 0; p < pairs; p++) {
      for (const [node, setting] of [[off, 'off'], [on, 'on']] as const) {
        const s = await step(node, setting, rate, seconds);
        steps.push(s);
        console.log([s.setting, String(s.calls), String(s.ok), s.cpuMsPerCall.toFixed(3)].map((c) => c.padStart(12)).join(''));
      }
    }
    const after = await accStats(on);
    const offMs = mean(steps.filter((s) => s.setting === 'off').map((s) => s.cpuMsPerCall));
    const onMs = mean(steps.filter((s) => s.setting === 'on').map((s) => s.cpuMsPerCall));
    const onCalls = steps.filter((s) => s.setting === 'on').reduce((a, s) => a + s.calls, 0);
    console.log(`\nnode cpu per call: acc off ${offMs.toFixed(3)} ms, acc on ${onMs.toFixed(3)} ms: accounting adds ${(onMs - offMs).toFixed(3)} ms/call (${(((onMs - offMs) / offMs) * 100).toFixed(1)} %)`);
    const events = after.emitted - before.emitted;
    const batches = after.batchesSent - before.batchesSent;
    console.log(`acc on: ${(events / onCalls).toFixed(2)} events/call, ${batches} queue adds for ${onCalls} calls = ${((batches / onCalls) * 1000).toFixed(1)} Redis round trips per 1000 calls (one per batch, none per SIP message); dropped ${after.dropped}`);

    // the writer drains what the steps (and the warm-up) left in the queue
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const t0 = performance.now();
    const writer = await startCdrWriter({
      databaseUrl: db.url, redisUrl: redis.url, cluster, queue: 'acc', concurrency: 2,
      expiry: { setupExpireMs: 300_000, dialogExpireMs: 10_800_000 }, sweepMs: 1000,
      registry: new Registry(), logger: pino({ level: 'warn' }),
    });
    try {
      const tStart = performance.now();
      for (;;) {
        const st = await writer.stats();
        if (st.waiting + st.active + st.delayed === 0) break;
        if (performance.now() - tStart > 300_000) { console.log('writer: still busy after 300 s, stopped'); break; }
        await new Promise((r) => setTimeout(r, 100));
      }
      const secs = (performance.now() - tStart) / 1000;
      const st = await writer.stats();
      const rows = (await pool.query<{ n: number; e: number }>('SELECT (SELECT count(*)::int FROM acc_cdrs) AS n, (SELECT count(*)::int FROM acc) AS e')).rows[0];
      console.log(`writer (concurrency 2, one PostgreSQL transaction per batch): ${rows.n} records from ${rows.e} events in ${secs.toFixed(1)} s = ${(rows.n / secs).toFixed(0)} records/s, ${(rows.e / secs).toFixed(0)} events/s (${st.batches} batches; start-up incl. migrations ${((tStart - t0) / 1000).toFixed(1)} s not counted)`);
    } finally {
      await writer.close();
      await pool.end();
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(gateways.map((g) => g.stop()));
    await db.drop().catch(() => undefined);
    await pgServer.stop();
    await redis.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
