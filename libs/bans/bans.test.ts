import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createMemoryBus } from '#libs/bus';
import { ReplicatedTable } from '#libs/replica';
import { createMemoryState } from '#libs/state';
import { BAN_TABLE, bansAdminCommands, bansFailClosedStep, bansGate, createBanMetrics } from './index.ts';

async function table() {
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const state = createMemoryState({ cluster: 'bans-test' });
  const bus = createMemoryBus({ cluster: 'bans-test', node: 'n1', logger, registry });
  const t = await ReplicatedTable.start({ name: BAN_TABLE, channel: 'ban', state, bus, logger, registry, resyncIntervalMs: 0 });
  return { t, registry, close: async () => { await t.close(); await bus.close(); await state.close(); } };
}

const remote = (address: string) => ({ proto: 'udp' as const, address, port: 5060, family: 'IPv4' as const });

describe('bans', () => {
  it('gate drops a banned source and lets others in', async () => {
    const { t, close } = await table();
    const gate = bansGate(t);
    expect(gate.check(remote('198.51.100.7'))).toBeUndefined();
    await t.set('198.51.100.7', 'flood', 60_000);
    expect(gate.check(remote('198.51.100.7'))).toBe('bans.banned');
    expect(gate.check(remote('198.51.100.8'))).toBeUndefined();
    await close();
  });

  it('admin commands set, dump and delete bans, refusing bad input', async () => {
    const { t, close } = await table();
    const cmds = new Map(bansAdminCommands(t).map((c) => [c.name, c]));
    await cmds.get('htable.sets')!.run({ table: 'ipban', key: '203.0.113.9', value: 'manual', ttl: 30 });
    const dump = (await cmds.get('htable.dump')!.run({ table: 'ipban' })) as { key: string; expiresInMs: number }[];
    expect(dump.map((e) => e.key)).toEqual(['203.0.113.9']);
    expect(dump[0].expiresInMs).toBeGreaterThan(25_000);
    await expect(Promise.resolve().then(() => cmds.get('htable.sets')!.run({ key: 'not-an-ip' }))).rejects.toThrow(/IP address/);
    await expect(Promise.resolve().then(() => cmds.get('htable.dump')!.run({ table: 'other' }))).rejects.toThrow(/unknown htable/);
    expect(await cmds.get('htable.delete')!.run({ table: 'ipban', key: '203.0.113.9' })).toEqual({ deleted: true });
    expect(t.has('203.0.113.9')).toBe(false);
    await close();
  });

  it('exports the number of active bans', async () => {
    const { t, registry, close } = await table();
    createBanMetrics(registry, t);
    await t.set('192.0.2.1', 'x');
    await t.set('192.0.2.2', 'x');
    expect(await registry.getSingleMetricAsString('sbc_bans_active')).toMatch(/sbc_bans_active 2/);
    await close();
  });

  it('fail-closed step refuses while the backend is down', () => {
    let up = true;
    const step = bansFailClosedStep(() => up);
    expect(step.run({} as never)).toBe('next');
    up = false;
    expect(step.run({} as never)).toEqual({ reject: 'bans.backend_down' });
  });
});
