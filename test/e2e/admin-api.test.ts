// The admin API of a running node process is locked: every form of call
// without a valid token is 401, mutating commands take POST and an admin
// token, and each mutating call leaves an audit line in the node's log.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitUntil } from '../harness/index.ts';
import { adminPost, startSbcNode, TEST_ADMIN_TOKEN, type SbcNodeHandle } from '../sipp/index.ts';

const GW = [{ host: '127.0.0.1', port: 9 }];

describe('admin API of a running node', () => {
  let node: SbcNodeHandle;
  let base: string;
  let commands: { name: string; mutates: boolean }[];
  beforeAll(async () => {
    node = await startSbcNode({ gateways: GW, readiness: 'bound' });
    base = `http://${node.host}:${node.httpPort}`;
    commands = ((await (await fetch(`${base}/admin`, { headers: { authorization: `Bearer ${node.readToken}` } })).json()) as { commands: typeof commands }).commands;
  }, 30_000);
  afterAll(() => node?.stop());

  it('lists every command with whether it changes state', () => {
    const byName = new Map(commands.map((c) => [c.name, c.mutates]));
    expect(byName.get('htable.sets')).toBe(true);
    expect(byName.get('htable.delete')).toBe(true);
    expect(byName.get('dispatcher.set_state')).toBe(true);
    expect(byName.get('dispatcher.list')).toBe(false);
    expect(byName.get('core.info')).toBe(false);
  });

  it('answers 401 to every command, by GET and by POST, without a token or with a wrong one', async () => {
    const wrong = { authorization: 'Bearer not-the-token-0123456789' };
    for (const c of [{ name: 'nonexistent.command' }, ...commands]) {
      for (const init of [{}, { method: 'POST', body: '{}' }, { headers: wrong }, { method: 'POST', body: '{}', headers: wrong }] as RequestInit[]) {
        const res = await fetch(`${base}/admin/${c.name}?table=ipban&key=198.51.100.7`, init);
        expect(res.status, `${init.method ?? 'GET'} ${c.name}`).toBe(401);
        expect(await res.text()).toBe('{"error":"unauthorized"}');
      }
    }
    expect((await fetch(`${base}/admin`)).status).toBe(401);
  });

  it('runs a mutating command only by POST with an admin token, and logs who ran it', async () => {
    const key = '198.51.100.77';
    const get = await fetch(`${base}/admin/htable.sets?table=ipban&key=${key}`, { headers: { authorization: `Bearer ${node.adminToken}` } });
    expect(get.status).toBe(405);
    const ro = await fetch(`${base}/admin/htable.sets`, { method: 'POST', headers: { authorization: `Bearer ${node.readToken}` }, body: JSON.stringify({ table: 'ipban', key }) });
    expect(ro.status).toBe(403);
    const ok = await fetch(`${base}/admin/htable.sets`, adminPost(node, { table: 'ipban', key, ttl: 60 }));
    expect(ok.status).toBe(200);
    const dump = await (await fetch(`${base}/admin/htable.dump?table=ipban`, { headers: { authorization: `Bearer ${node.readToken}` } })).json() as { result: { key: string }[] };
    expect(dump.result.map((e) => e.key)).toContain(key);
    // the refused 405 and 403 above log lines naming the command too: wait for the audit line itself
    const auditLine = () => node.logTail(20_000).split('\n').find((l) => l.includes('"audit":"admin"') && l.includes('"command":"htable.sets"'));
    await waitUntil(() => auditLine() !== undefined, 5000);
    const line = auditLine()!;
    expect(JSON.parse(line)).toMatchObject({ audit: 'admin', who: 'test', role: 'admin', command: 'htable.sets', params: { table: 'ipban', key }, status: 200 });
    expect(node.logTail(100_000)).not.toContain(TEST_ADMIN_TOKEN);
  });
});

describe('admin on a port of its own', () => {
  it('serves /admin only there; the metrics port answers 404 for /admin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admin-port-'));
    writeFileSync(join(dir, 'tokens'), `ops admin ${TEST_ADMIN_TOKEN}\n`);
    const adminPort = await freePort();
    const node = await startSbcNode({ gateways: GW, readiness: 'bound', config: { admin: { port: adminPort, host: '127.0.0.1', tokens_file: join(dir, 'tokens') } } });
    try {
      const auth = { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } };
      await waitUntil(async () => (await fetch(`http://127.0.0.1:${node.httpPort}/healthz`).catch(() => undefined))?.status === 200, 5000, 50);
      expect((await fetch(`http://127.0.0.1:${node.httpPort}/admin/core.info`, auth)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${node.httpPort}/metrics`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${adminPort}/admin/core.info`)).status).toBe(401);
      const info = await fetch(`http://127.0.0.1:${adminPort}/admin/core.info`, auth);
      expect(info.status).toBe(200);
    } finally {
      await node.stop();
    }
  }, 30_000);
});
