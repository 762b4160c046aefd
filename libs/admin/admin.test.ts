import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { AdminError, AdminRegistry, AdminTokens, createAdminMetrics, createAdminServer, createHttpServer, type AdminApi } from './index.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const READER = 'read-token-0123456789abcdef';
const servers: Server[] = [];
const refused: unknown[] = [];
afterEach(() => Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r())))));

function tokensFile(text = `ops admin ${ADMIN}\nviewer read ${READER}\n`): string {
  const file = join(mkdtempSync(join(tmpdir(), 'admin-test-')), 'tokens');
  writeFileSync(file, text);
  return file;
}

function api(registry: Registry, audit: unknown[], file: string | null = tokensFile()): AdminApi {
  const commands = new AdminRegistry();
  commands.register({ name: 'demo.echo', mutates: false, help: 'echoes its parameter', params: { text: 'what to echo' }, run: (p) => ({ echo: p.text }) });
  commands.register({ name: 'demo.set', mutates: true, help: 'changes state', params: { value: 'new value' }, run: (p) => ({ set: p.value }) });
  commands.register({ name: 'demo.passwd', mutates: true, secretParams: ['password'], help: 'takes a secret', params: { user: 'who', password: 'the secret' }, run: () => ({ ok: true }) });
  commands.register({ name: 'demo.fail', mutates: false, help: 'fails with 409', run: () => { throw new AdminError('no such state', 409); } });
  return {
    commands,
    tokens: new AdminTokens(file === null ? {} : { file }),
    logger: { info: (obj: unknown) => audit.push(obj), warn: (obj: unknown) => refused.push(obj), isLevelEnabled: () => true } as unknown as AdminApi['logger'],
    metrics: createAdminMetrics(registry),
  };
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function start(opts: { notReady?: string; file?: string | null } = {}) {
  const registry = new Registry();
  new Counter({ name: 'sbc_test_total', help: 'test', registers: [registry] }).inc(3);
  const audit: unknown[] = [];
  const a = api(registry, audit, opts.file === undefined ? tokensFile() : opts.file);
  const base = await listen(createHttpServer({ registry, admin: a, notReadyReason: () => opts.notReady }));
  return { base, audit, registry };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('admin HTTP', () => {
  it('serves Prometheus metrics and health without a token', async () => {
    const { base } = await start();
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('sbc_test_total 3');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('answers 503 on /readyz with the reason when not ready', async () => {
    const { base } = await start({ notReady: 'redis down' });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ reason: 'redis down' });
  });

  it('answers 401 with no detail to every admin call without a valid token, in every form', async () => {
    const { base, registry } = await start();
    const forms: [string, RequestInit][] = [
      ['/admin', {}],
      ['/admin/demo.echo', {}],
      ['/admin/demo.echo?text=x', {}],
      ['/admin/demo.set', { method: 'POST', body: '{"value":1}' }],
      ['/admin/demo.nope', { method: 'POST' }],
      ['/admin/demo.set', { method: 'DELETE' }],
      ['/admin/demo.set', { method: 'POST', headers: bearer('wrong-token-0123456789abcdef') }],
      ['/admin/demo.set', { method: 'POST', headers: { authorization: `Basic ${ADMIN}` } }],
      ['/admin/demo.set', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}x` } }],
      ['/admin/demo.set', { method: 'POST', headers: bearer(ADMIN.slice(0, -1)) }],
    ];
    for (const [path, init] of forms) {
      const res = await fetch(`${base}${path}`, init);
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).toBe('{"error":"unauthorized"}');
    }
    expect(await registry.getSingleMetricAsString('sbc_admin_refused_total')).toContain(`reason="unauthorized"} ${forms.length}`);
    // logged, rate-limited (a burst of 20, then a few a second), never with the offered token
    const lines = refused.filter((l) => (l as { reason: string }).reason === 'unauthorized');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(forms.length);
    expect(lines[0]).toMatchObject({ reason: 'unauthorized', method: 'GET', path: '/admin', event: 'admin_unauthorized' });
    expect(JSON.stringify(refused)).not.toContain(ADMIN);
  });

  it('is closed when no tokens file is configured', async () => {
    const { base } = await start({ file: null });
    expect((await fetch(`${base}/admin`, { headers: bearer(ADMIN) })).status).toBe(401);
    expect((await fetch(`${base}/admin/demo.echo`, { method: 'POST', headers: bearer(ADMIN) })).status).toBe(401);
  });

  it('lists and runs dotted commands for a valid token, rejecting unknown names and parameters', async () => {
    const { base } = await start();
    const h = bearer(ADMIN);
    const list = (await (await fetch(`${base}/admin`, { headers: h })).json()) as { commands: { name: string; mutates: boolean }[] };
    expect(list.commands.map((c) => [c.name, c.mutates])).toEqual([['demo.echo', false], ['demo.fail', false], ['demo.passwd', true], ['demo.set', true]]);
    const ok = await fetch(`${base}/admin/demo.echo`, { method: 'POST', headers: h, body: JSON.stringify({ text: 'hi' }) });
    expect(await ok.json()).toEqual({ result: { echo: 'hi' } });
    expect(await (await fetch(`${base}/admin/demo.echo?text=42`, { headers: h })).json()).toEqual({ result: { echo: 42 } });
    expect(await (await fetch(`${base}/admin/demo.echo?text=198.51.100.7`, { headers: h })).json()).toEqual({ result: { echo: '198.51.100.7' } });
    expect((await fetch(`${base}/admin/demo.nope`, { method: 'POST', headers: h })).status).toBe(404);
    expect((await fetch(`${base}/admin/demo.echo`, { method: 'POST', headers: h, body: '{"bogus":1}' })).status).toBe(400);
    expect((await fetch(`${base}/admin/demo.echo`, { method: 'POST', headers: h, body: 'not json' })).status).toBe(400);
    expect((await fetch(`${base}/admin/demo.fail`, { method: 'POST', headers: h })).status).toBe(409);
  });

  it('runs mutating commands by POST only, with an admin token, and writes an audit line naming the token, never the token', async () => {
    const { base, audit } = await start();
    const get = await fetch(`${base}/admin/demo.set?value=1`, { headers: bearer(ADMIN) });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const asReader = await fetch(`${base}/admin/demo.set`, { method: 'POST', headers: bearer(READER), body: '{"value":1}' });
    expect(asReader.status).toBe(403);
    expect(audit).toEqual([]);
    // a read token still runs the commands that change nothing
    expect((await fetch(`${base}/admin/demo.echo?text=a`, { headers: bearer(READER) })).status).toBe(200);
    expect(audit).toEqual([]);
    const ok = await fetch(`${base}/admin/demo.set`, { method: 'POST', headers: bearer(ADMIN), body: '{"value":"xxx"}' });
    expect(await ok.json()).toEqual({ result: { set: 'xxx' } });
    expect(audit).toEqual([{ audit: 'admin', who: 'ops', role: 'admin', command: 'demo.set', params: { value: 'xxx' }, status: 200 }]);
    expect(JSON.stringify(audit)).not.toContain(ADMIN);
  });

  it('never writes a secret parameter into the audit line', async () => {
    const { base, audit } = await start();
    const ok = await fetch(`${base}/admin/demo.passwd`, { method: 'POST', headers: bearer(ADMIN), body: '{"user":"alice","password":"hunter2-secret"}' });
    expect(ok.status).toBe(200);
    expect(audit).toEqual([{ audit: 'admin', who: 'ops', role: 'admin', command: 'demo.passwd', params: { user: 'alice', password: '(secret)' }, status: 200 }]);
    expect(JSON.stringify(audit)).not.toContain('hunter2');
  });

  it('serves admin on a server of its own, and then not on the metrics server', async () => {
    const registry = new Registry();
    const a = api(registry, []);
    const metricsBase = await listen(createHttpServer({ registry, notReadyReason: () => undefined }));
    const adminBase = await listen(createAdminServer(a));
    expect((await fetch(`${metricsBase}/admin`, { headers: bearer(ADMIN) })).status).toBe(404);
    expect((await fetch(`${adminBase}/admin`, { headers: bearer(ADMIN) })).status).toBe(200);
    expect((await fetch(`${adminBase}/admin`)).status).toBe(401);
    expect((await fetch(`${adminBase}/metrics`)).status).toBe(404);
  });

  it('refuses badly named and duplicate commands', () => {
    const admin = new AdminRegistry();
    expect(() => admin.register({ name: 'nodots', mutates: false, help: '', run: () => 1 })).toThrow(/dotted/);
    admin.register({ name: 'a.b', mutates: false, help: '', run: () => 1 });
    expect(() => admin.register({ name: 'a.b', mutates: false, help: '', run: () => 1 })).toThrow(/twice/);
  });
});
