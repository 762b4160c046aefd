// The embedded mode: one node, memory state, no Redis, no writer: the node
// assembles its own records and appends them to a JSON Lines file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../harness/index.ts';
import { runUac, startSbcNode, startUas, type SbcNodeHandle, type UasHandle } from '../sipp/index.ts';
import { adminPost } from '../sipp/sbc-node.ts';
import { createTopohCodec } from '#libs/topoh';
import { toposToken } from '#libs/topology';

const SCEN = fileURLToPath(new URL('./scenarios/', import.meta.url));
const AUTH_DOMAIN = 'acc.test';

let gw: UasHandle;
let node: SbcNodeHandle;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sbc-acc-file-'));
  file = join(dir, 'cdrs.jsonl');
  gw = await startUas({ scenario: join(SCEN, 'uas_acc.xml'), lifetimeMs: 120_000 });
  const list = join(dir, 'dispatcher.list');
  writeFileSync(list, `1 sip:127.0.0.1:${gw.port} 0 0 duid=gw1\n`);
  node = await startSbcNode({
    gateways: [],
    config: {
      dispatcher: { list_file: list },
      acc: { enabled: true, file, flush_interval: 50 },
      // users of acc.test authenticate (407); sipp's plain calls come from 127.0.0.1, not a local domain
      auth: { enabled: true, domains: [AUTH_DOMAIN], secret: 'acc-file-test-nonce-secret-0001', algorithms: ['MD5'] }, // sipp's digest is MD5 only
      log: { level: 'warn' },
    },
  });
  const added = await fetch(`http://${node.host}:${node.httpPort}/admin/subscriber.add`, adminPost(node, { username: 'carol', domain: AUTH_DOMAIN, password: 'carol-secret' }));
  expect(added.status).toBe(200);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const records = (): Record<string, unknown>[] =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) : [];

describe('accounting on one node without Redis (JSON Lines file)', () => {
  it('writes one record per call: answered and busy', async () => {
    const [ans, busy] = await Promise.all([
      runUac({ target: `127.0.0.1:${node.port}`, calls: 5, rate: 10, scenario: 'uac', service: 'ans', holdMs: 200 }),
      runUac({ target: `127.0.0.1:${node.port}`, calls: 5, rate: 10, scenario: join(SCEN, 'uac_busy.xml'), service: 'busy' }),
    ]);
    expect(ans.successful + busy.successful).toBe(10);
    await waitUntil(() => records().length >= 10, 10_000, 50);
    const rs = records();
    expect(rs).toHaveLength(10);
    expect(new Set(rs.map((r) => r.callId)).size).toBe(10);
    const answered = rs.filter((r) => String(r.ruri).startsWith('sip:ans@'));
    expect(answered).toHaveLength(5);
    for (const r of answered) {
      expect(r).toMatchObject({ endReason: 'caller_bye', sipStatus: 200, duid: 'gw1', reroutes: 0, node: expect.any(String), transport: 'udp', srcIp: '127.0.0.1' });
      expect(r.durationMs as number).toBeGreaterThanOrEqual(190);
    }
    for (const r of rs.filter((x) => String(x.ruri).startsWith('sip:busy@'))) {
      expect(r).toMatchObject({ endReason: 'failed', failure: 'busy', sipStatus: 486, durationMs: 0 });
    }
    // the node counts them per gateway too
    const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
    expect(text).toMatch(/sbc_acc_calls_succeeded_total\{gateway="gw1",reroute="no"[^}]*\} 5/);
    expect(text).toMatch(/sbc_acc_calls_failed_total\{gateway="gw1",reason="busy"[^}]*\} 5/);
    const stats = await (await fetch(`http://${node.host}:${node.httpPort}/admin/acc.stats`, adminPost(node))).json() as { result: { sink: string; file: { written: number; open: number } } };
    expect(stats.result).toMatchObject({ sink: 'file', file: { written: 10, open: 0 } });
  }, 60_000);

  it('records the digest user a call authenticated as (auth_user), and none for calls that did not authenticate', async () => {
    const before = records().length;
    const r = await runUac({
      target: `127.0.0.1:${node.port}`, calls: 3, rate: 10, scenario: 'uac_auth', service: 'authd', holdMs: 100,
      extraArgs: ['-key', 'user', 'carol', '-key', 'domain', AUTH_DOMAIN, '-au', 'carol', '-ap', 'carol-secret', '-auth_uri', `authd@127.0.0.1:${node.port};transport=UDP`],
    });
    expect(r.successful).toBe(3);
    await waitUntil(() => records().filter((x) => String(x.ruri).startsWith('sip:authd@')).length >= 3, 10_000, 50);
    const authd = records().filter((x) => String(x.ruri).startsWith('sip:authd@'));
    // one record per call: the 407-challenged first INVITE is part of the same call, not a record of its own
    expect(records().length - before).toBe(3);
    for (const x of authd) expect(x).toMatchObject({ authUser: `carol@${AUTH_DOMAIN}`, endReason: 'caller_bye', sipStatus: 200, duid: 'gw1' });
    for (const x of records().filter((y) => String(y.ruri).startsWith('sip:ans@'))) expect(x.authUser).toBeUndefined();
  }, 60_000);
});

describe('core_callid: the Call-ID the core-side leg carries when topology hiding masks it', () => {
  const MASK_KEY = 'acc-core-callid-mask-key-of-32-chars';
  const modes = {
    topoh: { mode: 'topoh', mask_key: MASK_KEY, mask_callid: true },
    topos: { mode: 'topos', mask_callid: true },
  } as const;
  const codec = createTopohCodec({ maskKey: MASK_KEY, maskIp: '127.0.0.1', maskCallId: true });
  for (const mode of ['topoh', 'topos'] as const) {
    it(`${mode}: each record names the core-side Call-ID the gateway was sent`, async () => {
      const f = join(dir, `cdrs-${mode}.jsonl`);
      const n = await startSbcNode({
        gateways: [],
        config: { dispatcher: { list_file: join(dir, 'dispatcher.list') }, acc: { enabled: true, file: f, flush_interval: 50 }, topology: modes[mode], log: { level: 'warn' } },
      });
      try {
        const r = await runUac({ target: `127.0.0.1:${n.port}`, calls: 3, rate: 10, scenario: 'uac', service: `hid${mode}`, holdMs: 100 });
        expect(r.successful, r.errors || n.logTail()).toBe(3);
        const read = () => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, string>) : []);
        await waitUntil(() => read().length >= 3, 10_000, 50);
        for (const rec of read()) {
          // (topos strips the Record-Route whose ftag tells a BYE's side: the side is unknown there)
          expect(rec).toMatchObject({ endReason: mode === 'topos' ? 'bye' : 'caller_bye', sipStatus: 200 });
          expect(rec.coreCallId).toBeDefined();
          expect(rec.coreCallId).not.toBe(rec.callId);
          // what the relayed INVITE carried: topoh seals the caller's Call-ID, topos names its dialog token
          if (mode === 'topoh') expect(codec.decodeCallId(rec.coreCallId)).toBe(rec.callId);
          else expect(rec.coreCallId).toBe(`tpsc-${toposToken(rec.callId, rec.fromTag)}`);
        }
      } finally {
        await n.stop();
      }
    }, 60_000);
  }
});
