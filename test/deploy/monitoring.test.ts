// The Grafana dashboard and the alert rules: both copies current, every
// metric they name exists in a running node's /metrics (no dead panels), the
// accounting rules' metrics (job sbc-cdr-writer) in a running cdr-writer's,
// and promtool accepts the rules and passes their unit tests.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARD_FILES, dashboard, dashboardText } from '../../scripts/gen-dashboard.mjs';
import { writerProcess, type WriterProcess } from '../acc/writer-kit.ts';
import { createTestDatabase, uniqueName } from '../harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RULES = 'deploy/prometheus/sbc-alerts.yaml';
const RULES_CHART_COPY = 'helm/sbc/files/sbc-alerts.yaml';
const RULES_TESTS = 'deploy/prometheus/sbc-alerts.test.yaml';
const read = (f: string) => readFileSync(`${REPO}${f}`, 'utf8');
const run = promisify(execFile);

const WRITER_JOB = 'sbc-cdr-writer';
type Job = 'node' | 'writer';

/** sbc_* metric names in PromQL text of one job (selector job="sbc-cdr-writer": the writer; else the nodes), histogram series suffixes folded onto their metric */
function metricNames(exprs: string[], histograms: Set<string>, job: Job = 'node'): Set<string> {
  const names = new Set<string>();
  for (const e of exprs) {
    for (const m of e.matchAll(/\b(sbc_[a-z0-9_]+)(\{[^}]*\})?/g)) {
      if ((m[2]?.includes(`job="${WRITER_JOB}"`) === true ? 'writer' : 'node') !== job) continue;
      const base = m[1].replace(/_(bucket|sum|count)$/, '');
      names.add(histograms.has(base) ? base : m[1]);
    }
  }
  return names;
}

/** metric name -> type, from a /metrics text */
const typesOf = (text: string) => new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
const histogramsOf = (exposed: Map<string, string>) => new Set([...exposed].filter(([, t]) => t === 'histogram').map(([n]) => n));

function dashboardExprs(): string[] {
  const d = dashboard();
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const v of d.templating.list) if (typeof v.query === 'object' && v.query !== null) exprs.push((v.query as { query: string }).query);
  return exprs;
}

function ruleExprs(): string[] {
  const doc = parse(read(RULES)) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

describe('dashboard and alert files', () => {
  it('are current: both dashboard copies are what scripts/gen-dashboard.mjs writes, the chart rules are the deploy rules', () => {
    for (const f of DASHBOARD_FILES) expect(read(f), `${f} (run: node scripts/gen-dashboard.mjs)`).toBe(dashboardText());
    expect(read(RULES_CHART_COPY)).toBe(read(RULES));
  });

  it('cover what an operator watches: calls, replies, setup latency, rejections, bans, gateways, backends, lag, CPU, memory, TCP', () => {
    const all = dashboardExprs().join('\n');
    for (const m of ['sbc_sip_requests_total', 'sbc_sip_replies_total', 'sbc_relay_response_seconds_bucket', 'sbc_tm_transactions_active', 'sbc_sip_rejected_total', 'sbc_pike_blocked_total',
      'sbc_permissions_denied_total', 'sbc_secfilter_blocked_total', 'sbc_bans_active', 'sbc_dispatcher_destination_up', 'sbc_backend_up', 'sbc_nodejs_eventloop_lag_p99_seconds',
      'sbc_process_cpu_seconds_total', 'sbc_process_resident_memory_bytes', 'sbc_transport_tcp_connections', 'sbc_dispatcher_probe_latency_ms', 'sbc_dispatcher_active_calls', 'sbc_auth_failures_total', 'sbc_auth_blocks_active']) expect(all).toContain(m);
    const alerts = (parse(read(RULES)) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(expect.arrayContaining(['SbcNodeDown', 'SbcGatewayDown', 'SbcGatewaySetDown', 'SbcHigh5xxRatio', 'SbcSetupLatencyHigh', 'SbcFloodBansSpike', 'SbcBackendDown', 'SbcEventLoopLagHigh',
      'SbcCdrWriterDown', 'SbcCdrWriterMissing', 'SbcCdrWriterBackendDown', 'SbcAccQueueBacklog', 'SbcAccDeadLetters', 'SbcAccEventsDropped']));
    // every accounting rule, also one added later, has a promtool unit test
    const accounting = (parse(read(RULES)) as { groups: { name: string; rules: { alert: string }[] }[] }).groups.find((g) => g.name === 'sbc-accounting')?.rules.map((r) => r.alert) ?? [];
    const tested = new Set((parse(read(RULES_TESTS)) as { tests: { alert_rule_test?: { alertname: string }[] }[] }).tests.flatMap((t) => (t.alert_rule_test ?? []).map((a) => a.alertname)));
    expect(accounting.length).toBeGreaterThan(0);
    expect(accounting.filter((a) => !tested.has(a))).toEqual([]);
  });
});

describe('metrics named by the dashboard and the rules, against a running node and cdr-writer', () => {
  let node: SbcNodeHandle;
  let writer: WriterProcess;
  let db: { url: string; drop(): Promise<void> };
  let exposed: Map<string, string>;
  let writerExposed: Map<string, string>;
  beforeAll(async () => {
    // every feature that exports metrics only while enabled is on (auth: its metrics exist once it runs;
    // acc with the queue sink, as a cluster runs it, the writer consuming that queue)
    const cluster = uniqueName('mon');
    db = await createTestDatabase(inject('pgUrl'), 'monitoring');
    writer = await writerProcess({ databaseUrl: db.url, redisUrl: inject('redisUrl'), cluster });
    await writer.start();
    node = await startSbcNode({
      gateways: [{ host: '127.0.0.1', port: 9 }],
      readiness: 'bound',
      config: {
        node: { cluster },
        auth: { enabled: true, domains: ['example.com'], secret: 'monitoring-test-nonce-secret-0123456789' },
        auth_block: { enabled: true },
        state: { backend: 'redis', redis: { url: inject('redisUrl') } },
        bus: { servers: [inject('natsUrl')] },
        acc: { enabled: true, sink: 'queue' },
      },
    });
    exposed = typesOf(await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text());
    writerExposed = typesOf(await writer.metrics());
  }, 60_000);
  afterAll(async () => {
    await node?.stop();
    await writer?.stop();
    await db?.drop();
  }, 30_000);

  it('has no stuttering names (sbc_process_process_...)', () => {
    expect([...exposed.keys()].filter((n) => /^sbc_(\w+?)_\1_/.test(n))).toEqual([]);
    expect(exposed.get('sbc_process_cpu_seconds_total')).toBe('counter');
  });

  it('exposes every metric the dashboard names (no dead panels)', () => {
    const histograms = new Set([...exposed].filter(([, t]) => t === 'histogram').map(([n]) => n));
    const missing = [...metricNames(dashboardExprs(), histograms)].filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
  });

  it('exposes every metric the alert rules name (besides Prometheus\'s own up): the nodes\' on the node, job sbc-cdr-writer\'s on the writer', () => {
    const missing = [...metricNames(ruleExprs(), histogramsOf(exposed))].filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
    const writerNames = [...metricNames(ruleExprs(), histogramsOf(writerExposed), 'writer')];
    expect(writerNames).toEqual(expect.arrayContaining(['sbc_backend_up', 'sbc_acc_queue_lag_seconds', 'sbc_acc_dead_letters_total']));
    expect(writerNames.filter((n) => !writerExposed.has(n))).toEqual([]);
  });

  it('tells the nodes\' jobs apart: the dashboard\'s $job variable reads a metric no writer exports; a queue-sink node says so (SbcCdrWriterMissing relies on it)', async () => {
    const jobVar = (dashboard().templating.list as { name?: string; query?: unknown }[]).find((v) => v.name === 'job') as { query: { query: string } };
    const metric = /^label_values\((sbc_[a-z0-9_]+), job\)$/.exec(jobVar.query.query)?.[1];
    expect(metric).toBeDefined();
    expect(exposed.has(metric as string)).toBe(true);
    expect(writerExposed.has(metric as string)).toBe(false);
    expect(writerExposed.has('sbc_backend_up')).toBe(true);
    const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
    expect(text).toMatch(/^sbc_acc_sink_info\{sink="queue",node="[^"]+"\} 1$/m);
    expect(writerExposed.has('sbc_acc_sink_info')).toBe(false);
  });
});

describe('promtool', () => {
  it('checks the rules file', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES], { cwd: REPO });
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes the unit tests of the main alerts', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', RULES_TESTS], { cwd: REPO });
    expect(stdout).toContain('SUCCESS');
  });
});
