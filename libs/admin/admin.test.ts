import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Counter, Registry } from 'prom-client';
import { AdminError, AdminRegistry, createHttpServer } from './index.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function start(notReady?: string) {
  const registry = new Registry();
  new Counter({ name: 'sbc_test_total', help: 'test', registers: [registry] }).inc(3);
  const admin = new AdminRegistry();
  admin.register({ name: 'demo.echo', help: 'echoes its parameter', params: { text: 'what to echo' }, run: (p) => ({ echo: p.text }) });
  admin.register({ name: 'demo.fail', help: 'fails with 409', run: () => { throw new AdminError('no such state', 409); } });
  server = createHttpServer({ registry, admin, notReadyReason: () => notReady });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('admin HTTP', () => {
  it('serves Prometheus metrics and health', async () => {
    const base = await start();
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('sbc_test_total 3');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('answers 503 on /readyz with the reason when not ready', async () => {
    const base = await start('redis down');
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ reason: 'redis down' });
  });

  it('lists and runs dotted commands, rejecting unknown names and parameters', async () => {
    const base = await start();
    const list = (await (await fetch(`${base}/admin`)).json()) as { commands: { name: string }[] };
    expect(list.commands.map((c) => c.name)).toEqual(['demo.echo', 'demo.fail']);
    const ok = await fetch(`${base}/admin/demo.echo`, { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
    expect(await ok.json()).toEqual({ result: { echo: 'hi' } });
    expect((await fetch(`${base}/admin/demo.nope`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/admin/demo.echo`, { method: 'POST', body: '{"bogus":1}' })).status).toBe(400);
    expect((await fetch(`${base}/admin/demo.echo`, { method: 'POST', body: 'not json' })).status).toBe(400);
    expect((await fetch(`${base}/admin/demo.fail`, { method: 'POST' })).status).toBe(409);
  });

  it('refuses badly named and duplicate commands', () => {
    const admin = new AdminRegistry();
    expect(() => admin.register({ name: 'nodots', help: '', run: () => 1 })).toThrow(/dotted/);
    admin.register({ name: 'a.b', help: '', run: () => 1 });
    expect(() => admin.register({ name: 'a.b', help: '', run: () => 1 })).toThrow(/twice/);
  });
});
