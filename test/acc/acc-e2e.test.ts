// Accounting end to end: sipp callers and gateways, three SBC node processes
// sharing a Redis (the queue) and NATS, the cdr-writer as its own process,
// records in a real PostgreSQL. Exactly one record per call, with the right
// end reason, gateway, reroute count and duration, through a writer killed
// (-9) and restarted mid-run, a Redis restarted under load, and nodes killed
// -9 mid-call.
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, endPool, freePort, spawnRedis, uniqueName, waitUntil } from '../harness/index.ts';
import { runUac, startSbcNode, startUas, type SbcNodeHandle, type UacResult, type UasHandle } from '../sipp/index.ts';
import { adminPost } from '../sipp/sbc-node.ts';
import { ackFor, inDialogRequest, newTag, ScriptedUa, uacDialog, uasDialog } from '../e2e/sip-ua.ts';
import { writerProcess, type WriterProcess } from './writer-kit.ts';

const SCEN = fileURLToPath(new URL('./scenarios/', import.meta.url));
const HOLD_MS = 1000;

interface Cdr {
  callid: string; node: string; bye_node: string | null; ruri: string; from_uri: string; to_uri: string; from_tag: string; to_tag: string | null;
  src_ip: string; src_port: number; transport: string; gateway: string; duid: string; reroutes: number;
  attempts: { n: number; duid?: string; result: string; status?: number }[];
  invite_time: Date; ring_time: Date | null; answer_time: Date | null; end_time: Date; start_time: Date;
  duration: string; setuptime: string | null; srd: string | null; end_reason: string; failure: string | null; sip_code: number; sip_reason: string;
}

let db: { url: string; drop(): Promise<void> };
let pool: pg.Pool;
let redis: Awaited<ReturnType<typeof spawnRedis>>;
let gw1: UasHandle;
let gw2: UasHandle;
let writer: WriterProcess;
const nodes: SbcNodeHandle[] = [];
let dir: string;
let listFile: string;
let cluster: string;

async function startNode(id: string, o: { advertiseOf?: SbcNodeHandle; listFile?: string } = {}): Promise<SbcNodeHandle> {
  const advertiseOf = o.advertiseOf;
  const port = await freePort();
  return startSbcNode({
    gateways: [],
    port,
    config: {
      node: { id, cluster },
      // a node may advertise another node's address: in-dialog requests of its calls then go through that node
      sip: { listen: [{ proto: 'udp', host: '127.0.0.1', port, ...(advertiseOf !== undefined ? { advertise: `127.0.0.1:${advertiseOf.port}` } : {}) }] },
      state: { backend: 'redis', redis: { url: redis.url } },
      bus: { servers: [inject('natsUrl')] },
      dispatcher: { list_file: o.listFile ?? listFile, algorithm: 8 },
      tm: { fr_inv_timer: 2000 },
      acc: { enabled: true, flush_interval: 100 },
      log: { level: 'warn' },
    },
  });
}

beforeAll(async () => {
  cluster = uniqueName('acc');
  dir = mkdtempSync(join(tmpdir(), 'sbc-acc-e2e-'));
  db = await createTestDatabase(inject('pgUrl'), 'acce2e');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  redis = await spawnRedis(undefined, { persist: true });
  [gw1, gw2] = await Promise.all([startUas({ scenario: join(SCEN, 'uas_acc.xml'), lifetimeMs: 300_000 }), startUas({ scenario: 'uas', lifetimeMs: 300_000 })]);
  listFile = join(dir, 'dispatcher.list');
  // priority order (algorithm 8): gw1 first; gw2 only after a failover
  writeFileSync(listFile, `1 sip:127.0.0.1:${gw1.port} 0 10 duid=gw1\n1 sip:127.0.0.1:${gw2.port} 0 5 duid=gw2\n`);
  writer = await writerProcess({
    databaseUrl: db.url, redisUrl: redis.url, cluster,
    settings: { dialog_expire: '4s', setup_expire: '20s', job_lock: '2s', sweep_interval: '500ms' },
  });
  await writer.start();
  const n1 = await startNode('n1');
  const n2 = await startNode('n2');
  const n3 = await startNode('n3');
  nodes.push(n1, n2, n3);
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await writer?.stop();
  await Promise.all([gw1?.stop(), gw2?.stop()]);
  await redis?.stop();
  if (pool) await endPool(pool);
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function cdrs(service: string): Promise<Cdr[]> {
  return (await pool.query<Cdr>("SELECT * FROM acc_cdrs WHERE ruri LIKE $1 ORDER BY invite_time", [`sip:${service}@%`])).rows;
}

async function cdrCount(services: string[]): Promise<number> {
  const r = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM acc_cdrs WHERE split_part(substr(ruri, 5), \'@\', 1) = ANY($1)', [services]);
  return r.rows[0].n;
}

/** n calls spread over the nodes: one sipp caller per node */
function callsOver(targets: SbcNodeHandle[], n: number, opts: { scenario: string; service: string; holdMs?: number; rate?: number }): Promise<UacResult>[] {
  return targets.map((node, i) => {
    const calls = Math.floor(n / targets.length) + (i < n % targets.length ? 1 : 0);
    return runUac({ target: `127.0.0.1:${node.port}`, calls, rate: opts.rate ?? 5, scenario: opts.scenario, service: opts.service, holdMs: opts.holdMs ?? 0, timeoutMs: 40_000 });
  });
}

const secs = (x: string | null) => (x === null ? NaN : Number(x));

describe('accounting end to end (sipp, 3 nodes, Redis queue, cdr-writer, PostgreSQL)', () => {
  it('200 calls: one record each with reason, gateway, reroutes and duration, through a writer killed -9 and restarted', async () => {
    const plan = [
      { service: 'ans', calls: 60, scenario: 'uac', holdMs: HOLD_MS },
      { service: 'busy', calls: 40, scenario: join(SCEN, 'uac_busy.xml') },
      { service: 'ring', calls: 40, scenario: 'uac_cancel' },
      { service: 'noans', calls: 20, scenario: join(SCEN, 'uac_timeout.xml') },
      { service: 'fo', calls: 40, scenario: 'uac', holdMs: HOLD_MS },
    ];
    const runs = plan.map((p) => Promise.all(callsOver(nodes, p.calls, p)));
    // the writer dies while batches are in flight, and comes back a few seconds later
    await new Promise((r) => setTimeout(r, 1500));
    await writer.kill();
    await new Promise((r) => setTimeout(r, 2500));
    await writer.start();
    const results = await Promise.all(runs);
    results.forEach((rs, i) => {
      const ok = rs.reduce((a, r) => a + r.successful, 0);
      expect(ok, `${plan[i].service}: ${rs.map((r) => r.errors).join('\n')}`).toBe(plan[i].calls);
    });
    const services = plan.map((p) => p.service);
    await waitUntil(async () => (await cdrCount(services)) >= 200, 40_000, 200).catch(() => undefined);
    expect(await cdrCount(services), await diagnose()).toBe(200);
    expect(await pool.query('SELECT count(DISTINCT callid)::int AS n FROM acc_cdrs').then((r) => r.rows[0].n)).toBe(200);

    const lost = (await pool.query("SELECT callid FROM acc_cdrs WHERE end_reason IN ('node_lost', 'expired')")).rows.map((r) => r.callid as string);
    const lostEvents = lost.length === 0 ? [] : (await pool.query('SELECT callid, node, event, sip_code, time, data FROM acc WHERE callid = ANY($1) ORDER BY callid, time', [lost])).rows;
    expect(lost, JSON.stringify(lostEvents, null, 1).slice(0, 5000)).toEqual([]);

    const ans = await cdrs('ans');
    expect(ans).toHaveLength(60);
    for (const r of ans) {
      expect(r).toMatchObject({ end_reason: 'caller_bye', failure: null, sip_code: 200, duid: 'gw1', gateway: `sip:127.0.0.1:${gw1.port}`, reroutes: 0 });
      expect(secs(r.duration)).toBeGreaterThanOrEqual(HOLD_MS / 1000 - 0.05);
      expect(secs(r.duration)).toBeLessThan(HOLD_MS / 1000 + 5);
    }
    // every field on a sample
    const s = ans[0];
    const sampleNode = nodes.find((n) => s.ruri.includes(`:${n.port}`));
    expect(sampleNode).toBeDefined();
    expect(s.from_uri).toMatch(/^sip:sipp@127\.0\.0\.1:\d+$/);
    expect(s.from_tag).toMatch(/SIPpTag00/);
    expect(s.to_tag).toMatch(/SIPpTag01/);
    expect(s.to_uri).toBe(`sip:ans@127.0.0.1:${sampleNode?.port}`);
    expect(s.ruri).toMatch(/^sip:ans@127\.0\.0\.1:\d+;transport=UDP$/i);
    expect(s).toMatchObject({ src_ip: '127.0.0.1', transport: 'udp', sip_reason: 'OK' });
    expect(s.src_port).toBe(Number(s.from_uri.split(':').pop()));
    expect(s.attempts).toMatchObject([{ n: 0, duid: 'gw1', result: 'answered', status: 200 }]);
    expect(s.ring_time).not.toBeNull();
    expect(s.invite_time.getTime()).toBeLessThanOrEqual((s.ring_time as Date).getTime());
    expect((s.ring_time as Date).getTime()).toBeLessThanOrEqual((s.answer_time as Date).getTime());
    expect((s.answer_time as Date).getTime()).toBeLessThan(s.end_time.getTime());
    expect(s.start_time.getTime()).toBe(s.invite_time.getTime());
    expect(secs(s.setuptime)).toBeCloseTo(((s.answer_time as Date).getTime() - s.invite_time.getTime()) / 1000, 2);
    expect(secs(s.srd)).toBeLessThanOrEqual(secs(s.setuptime));
    expect(secs(s.duration)).toBeCloseTo((s.end_time.getTime() - (s.answer_time as Date).getTime()) / 1000, 2);
    // the records are spread over the three nodes (sipp sends every request of a call to the node it called)
    const byNode = new Map<string, number>();
    for (const r of ans) byNode.set(r.node, (byNode.get(r.node) ?? 0) + 1);
    expect([...byNode.keys()].sort()).toEqual(['n1', 'n2', 'n3']);
    for (const r of ans) expect(r.bye_node).toBe(r.node);

    const busy = await cdrs('busy');
    expect(busy).toHaveLength(40);
    for (const r of busy) {
      expect(r).toMatchObject({ end_reason: 'failed', failure: 'busy', sip_code: 486, duid: 'gw1', reroutes: 0, duration: '0.000', answer_time: null, bye_node: null });
    }
    const ring = await cdrs('ring');
    expect(ring).toHaveLength(40);
    for (const r of ring) expect(r).toMatchObject({ end_reason: 'cancelled', failure: 'cancelled', sip_code: 487, duid: 'gw1', answer_time: null });
    const noans = await cdrs('noans');
    expect(noans).toHaveLength(20);
    for (const r of noans) {
      expect(r).toMatchObject({ end_reason: 'timeout', failure: 'no_answer', sip_code: 408, duid: 'gw1', answer_time: null });
      // rang for fr_inv_timer (2 s) before the node gave up
      expect(r.end_time.getTime() - (r.ring_time as Date).getTime()).toBeGreaterThanOrEqual(1900);
    }
    const fo = await cdrs('fo');
    expect(fo).toHaveLength(40);
    for (const r of fo) {
      expect(r).toMatchObject({ end_reason: 'caller_bye', failure: null, sip_code: 200, duid: 'gw2', gateway: `sip:127.0.0.1:${gw2.port}`, reroutes: 1 });
      expect(r.attempts).toMatchObject([{ n: 0, duid: 'gw1', result: 'failed', status: 503 }, { n: 1, duid: 'gw2', result: 'answered', status: 200 }]);
      expect(secs(r.duration)).toBeGreaterThanOrEqual(HOLD_MS / 1000 - 0.05);
    }
    // Kamailio's missed_calls: the calls never answered
    const missed = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM missed_calls');
    expect(missed.rows[0].n).toBe(100);
    const stats = (await writer.admin('acc.stats')) as { dead: number; openCalls: number };
    expect(stats).toMatchObject({ dead: 0 });
    // per-gateway metrics of the restarted writer: only what it wrote itself, so at least its share
    const text = await writer.metrics();
    expect(text).toMatch(/sbc_acc_calls_succeeded_total\{gateway="gw2",reroute="yes"\} \d+/);
    expect(text).toMatch(/sbc_acc_session_establishment_ratio\{gateway="gw1"\} /);
  }, 120_000);

  it('Redis restarted under load: events wait on the nodes and arrive after; none lost, none doubled', async () => {
    const runs = Promise.all(callsOver(nodes, 45, { scenario: 'uac', service: 'rr', holdMs: 500, rate: 5 }));
    await new Promise((r) => setTimeout(r, 1500));
    await redis.kill?.();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.start?.();
    const results = await runs;
    const created = results.reduce((a, r) => a + r.created, 0);
    expect(created).toBe(45);
    await waitUntil(async () => (await cdrCount(['rr'])) >= created, 40_000, 200).catch(() => undefined);
    expect(await cdrCount(['rr']), writer.logTail()).toBe(created);
    const rows = await cdrs('rr');
    // each record tells what the caller saw: answered calls as answered, the rest with their failure
    const answered = results.reduce((a, r) => a + r.successful, 0);
    expect(rows.filter((r) => r.answer_time !== null)).toHaveLength(answered);
    for (const n of nodes) {
      const st = await nodeAdmin(n, 'acc.stats') as { node: { dropped: number; buffered: number; batchesFailed: number } };
      expect(st.node).toMatchObject({ dropped: 0, buffered: 0 });
    }
  }, 120_000);

  it('a node killed -9 mid-call: the record closes through another node\'s BYE (either side\'s), or as expired', async () => {
    const caller = await ScriptedUa.start({ name: 'caller', transport: 'udp' });
    const gateway = await ScriptedUa.start({ name: 'gw', transport: 'udp' });
    try {
      const gwList = join(dir, 'gw-ua.list');
      writeFileSync(gwList, `1 sip:127.0.0.1:${gateway.port} 0 0 duid=ua\n`);
      const n2 = nodes[1];
      const n4 = await startNode('n4', { advertiseOf: n2, listFile: gwList }); // its dialogs' in-dialog requests come through n2 (the "load balancer")
      const n5 = await startNode('n5', { listFile: gwList }); // its dialogs' in-dialog requests come back to n5 itself
      nodes.push(n4, n5);
      const byCaller = await establishCall(caller, gateway, n4, 'kill1');
      const byCallee = await establishCall(caller, gateway, n4, 'kill2');
      const orphan = await establishCall(caller, gateway, n5, 'kill3');
      // answered, and the node's events flushed (flush_interval 100 ms): then the nodes die
      await waitUntil(async () => (await pool.query("SELECT 1 FROM acc_open_calls WHERE state->'answer' IS NOT NULL AND state->'start'->>'ruri' LIKE 'sip:kill%'")).rowCount === 3, 10_000, 100);
      for (const n of [n4, n5]) process.kill(-n.pgid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      // the caller hangs up call 1, the callee call 2: both reach the other party through n2
      const bye1 = caller.request(inDialogRequest(byCaller.caller, 'BYE', caller.contact));
      const at1 = await gateway.nextRequest('BYE', byCaller.callId);
      gateway.reply(at1.rq, 200, 'OK');
      expect((await bye1.response('final')).status).toBe(200);
      const bye2 = gateway.request(inDialogRequest(byCallee.callee, 'BYE', gateway.contact));
      const at2 = await caller.nextRequest('BYE', byCallee.callId);
      caller.reply(at2.rq, 200, 'OK');
      expect((await bye2.response('final')).status).toBe(200);
      // call 3's BYE goes to the dead node and is never answered: nobody closes the dialog
      void caller.request(inDialogRequest(orphan.caller, 'BYE', caller.contact)).response('final', 500).catch(() => undefined);
      await waitUntil(async () => (await cdrCount(['kill1', 'kill2', 'kill3'])) === 3, 20_000, 200);
      const [k1] = await cdrs('kill1');
      expect(k1).toMatchObject({ node: 'n4', bye_node: 'n2', end_reason: 'caller_bye', sip_code: 200, duid: 'ua', reroutes: 0, to_tag: byCaller.calleeTag, from_tag: byCaller.callerTag });
      expect(secs(k1.duration)).toBeGreaterThanOrEqual(1);
      const [k2] = await cdrs('kill2');
      expect(k2).toMatchObject({ node: 'n4', bye_node: 'n2', end_reason: 'callee_bye', to_tag: byCallee.calleeTag });
      const [k3] = await cdrs('kill3');
      // closed when the dialog expired (the writer's dialog_expire, 4 s without news)
      expect(k3).toMatchObject({ node: 'n5', bye_node: null, end_reason: 'expired', sip_code: 200, failure: null });
    } finally {
      caller.close();
      gateway.close();
    }
  }, 60_000);
});

const sdp = (user: string, port: number) =>
  ['v=0', `o=${user} 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

/** INVITE from the caller UA through `node` to the gateway UA, answered and ACKed; both sides' dialogs. */
async function establishCall(caller: ScriptedUa, gateway: ScriptedUa, node: SbcNodeHandle, user: string) {
  const callId = `${randomBytes(8).toString('hex')}@caller`;
  const callerTag = newTag();
  const calleeTag = newTag();
  const tx = caller.request({
    method: 'INVITE',
    uri: `sip:${user}@127.0.0.1:${node.port}`,
    headers: {
      via: [],
      to: { uri: `sip:${user}@127.0.0.1`, params: {} },
      from: { uri: 'sip:caller@127.0.0.1', params: { tag: callerTag } },
      'call-id': callId,
      cseq: { seq: 1, method: 'INVITE' },
      contact: [caller.contact],
      'max-forwards': 70,
      'content-type': 'application/sdp',
    },
    content: sdp('caller', 40000),
  });
  const at = await gateway.nextRequest('INVITE', callId);
  const rr = at.rq.headers['record-route'];
  gateway.reply(at.rq, 180, 'Ringing', { toTag: calleeTag, headers: { contact: [gateway.contact], 'record-route': rr } });
  gateway.reply(at.rq, 200, 'OK', { toTag: calleeTag, headers: { contact: [gateway.contact], 'record-route': rr }, sdp: sdp('gw', 40002) });
  const answer = await tx.response('final');
  expect(answer.status).toBe(200);
  const callerDialog = uacDialog(tx.sent, answer);
  caller.ack(ackFor(callerDialog, 1));
  await gateway.nextRequest('ACK', callId);
  return { callId, callerTag, calleeTag, caller: callerDialog, callee: uasDialog(at.rq, calleeTag, 700) };
}

/** what is still open, what the writer and the nodes say: the message of a failed count */
async function diagnose(): Promise<string> {
  const open = (await pool.query('SELECT callid, state FROM acc_open_calls LIMIT 20')).rows;
  const others = (await pool.query("SELECT callid, ruri, end_reason, attempts FROM acc_cdrs WHERE ruri IS NULL OR ruri NOT SIMILAR TO 'sip:(ans|busy|ring|noans|fo|rr|kill[0-9])@%' LIMIT 20")).rows;
  const stats = await writer.admin('acc.stats').catch((e: Error) => e.message);
  const nodeStats = await Promise.all(nodes.map((n) => nodeAdmin(n, 'acc.stats').catch((e: Error) => e.message)));
  return JSON.stringify({ open, others, stats, nodeStats }, null, 1).slice(0, 6000) + writer.logTail();
}

async function nodeAdmin(node: SbcNodeHandle, name: string): Promise<unknown> {
  const res = await fetch(`http://${node.host}:${node.httpPort}/admin/${name}`, adminPost(node));
  const body = (await res.json()) as { result?: unknown; error?: string };
  if (!res.ok) throw new Error(`${name}: ${res.status} ${body.error}`);
  return body.result;
}
