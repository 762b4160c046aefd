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

const SCEN = fileURLToPath(new URL('./scenarios/', import.meta.url));

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
    config: { dispatcher: { list_file: list }, acc: { enabled: true, file, flush_interval: 50 }, log: { level: 'warn' } },
  });
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
});
