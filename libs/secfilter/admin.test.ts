import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { AdminRegistry } from '#libs/admin';
import { formatConfigErrors, loadConfig } from '#libs/config';
import { contextOf, request, sip, SVMAP_OPTIONS } from './fixtures.ts';
import { createSecfilter, secfilterSection } from './index.ts';

function setup(yaml = '') {
  const res = loadConfig({ sections: [secfilterSection], env: {}, text: yaml === '' ? '' : `secfilter:\n${yaml}`, file: 'sf.yaml' });
  if (!res.ok) throw new Error(formatConfigErrors(res.errors));
  let t = 1_000;
  const f = createSecfilter({ config: res.config.secfilter, registry: new Registry(), logger: pino({ level: 'silent' }), now: () => t });
  const admin = new AdminRegistry();
  for (const c of f.admin) admin.register(c);
  const run = (msg = request(), address = '192.0.2.101') => f.step.run(contextOf(msg, address));
  return { f, admin, run, tick: (ms: number) => (t += ms) };
}

describe('secfilter admin commands', () => {
  it('registers the Kamailio RPC names', () => {
    const { admin } = setup();
    expect(admin.list().map((c) => c.name)).toEqual([
      'secfilter.add_bl', 'secfilter.add_dst', 'secfilter.add_wl', 'secfilter.del_bl', 'secfilter.del_wl', 'secfilter.print', 'secfilter.stats', 'secfilter.stats_reset',
    ]);
  });

  it('add_bl and del_bl change what the step does', async () => {
    const { admin, run } = setup();
    expect(run(request(), '203.0.113.50')).toBe('next');
    expect(await admin.run('secfilter.add_bl', { type: 'ip', value: '203.0.113.0/24' })).toEqual({
      ok: true,
      result: { type: 'ip', list: 'blacklist', entry: '203.0.113.0/24', added: true, size: 1 },
    });
    expect(run(request(), '203.0.113.50')).toMatchObject({ reject: 'secfilter.blacklisted_ip' });
    expect(await admin.run('secfilter.add_bl', { type: 'ip', value: '203.0.113.0/24' })).toMatchObject({ result: { added: false, size: 1 } });
    expect(await admin.run('secfilter.del_bl', { type: 'ip', value: '203.0.113.0/24' })).toMatchObject({ result: { deleted: true, size: 0 } });
    expect(run(request(), '203.0.113.50')).toBe('next');
  });

  it('add_wl lets a default-blacklisted agent in; del_wl takes it back', async () => {
    const { admin, run } = setup();
    expect(run(sip(SVMAP_OPTIONS))).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
    await admin.run('secfilter.add_wl', { type: 'ua', value: 'friendly-scanner' });
    expect(run(sip(SVMAP_OPTIONS))).toBe('next');
    await admin.run('secfilter.del_wl', { type: 'ua', value: 'FRIENDLY-SCANNER' });
    expect(run(sip(SVMAP_OPTIONS))).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
  });

  it('del_bl removes an entry that came from config', async () => {
    const { admin, run } = setup();
    expect(await admin.run('secfilter.del_bl', { type: 'ua', value: 'friendly-scanner' })).toMatchObject({ result: { deleted: true } });
    expect(run(sip(SVMAP_OPTIONS))).toBe('next');
  });

  it('add_dst blacklists a called number', async () => {
    const { admin, run } = setup();
    expect(await admin.run('secfilter.add_dst', { value: '0900-123-456' })).toMatchObject({ result: { type: 'dst', entry: '0900123456', added: true } });
    expect(run(request({ ruri: 'sip:0900123456@sbc.example.net' }))).toMatchObject({ reject: 'secfilter.blacklisted_dst' });
  });

  it('print shows lists with match mode and action, for one type or all', async () => {
    const { admin } = setup('  user:\n    blacklist: [sipvicious]\n');
    const one = await admin.run('secfilter.print', { type: 'user' });
    expect(one).toEqual({
      ok: true,
      result: { enabled: true, sqli: true, lists: { user: { match: 'prefix', action: 'reply', blacklist: ['sipvicious'], whitelist: [] } } },
    });
    const all = (await admin.run('secfilter.print', {})) as { ok: true; result: { lists: Record<string, { blacklist: string[] }> } };
    expect(Object.keys(all.result.lists)).toEqual(['ua', 'ip', 'domain', 'user', 'dst']);
    expect(all.result.lists.ua.blacklist).toContain('friendly-scanner');
  });

  it('stats count per check and reset', async () => {
    const { admin, run, tick } = setup('  ip:\n    whitelist: ["192.0.2.0/24"]\n');
    run(sip(SVMAP_OPTIONS), '198.51.100.66');
    run(request(), '192.0.2.1');
    const stats = await admin.run('secfilter.stats', {});
    expect(stats).toMatchObject({ ok: true, result: { blocked: { ua: 1, ip: 0, sqli: 0 }, whitelisted: { ip: 1, ua: 0 }, since: 1_000 } });
    tick(500);
    await admin.run('secfilter.stats_reset', {});
    expect(await admin.run('secfilter.stats', {})).toMatchObject({ result: { blocked: { ua: 0 }, whitelisted: { ip: 0 }, since: 1_500 } });
  });

  it('refuses bad input with 400 and the reason', async () => {
    const { admin } = setup();
    expect(await admin.run('secfilter.add_bl', { type: 'country', value: 'xx' })).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/type must be one of ua, ip/) });
    expect(await admin.run('secfilter.add_bl', { type: 'ip', value: '10.0.0.1/8' })).toMatchObject({ ok: false, status: 400, error: expect.stringMatching(/10\.0\.0\.0\/8/) });
    expect(await admin.run('secfilter.add_wl', { type: 'ua', value: '  ' })).toMatchObject({ ok: false, status: 400 });
    expect(await admin.run('secfilter.print', { type: 'nope' })).toMatchObject({ ok: false, status: 400 });
  });

  it('runtime changes are dropped by a config reload', async () => {
    const { f, admin, run } = setup();
    await admin.run('secfilter.add_bl', { type: 'ip', value: '203.0.113.9' });
    expect(run(request(), '203.0.113.9')).toMatchObject({ reject: 'secfilter.blacklisted_ip' });
    const res = loadConfig({ sections: [secfilterSection], env: {}, text: '' });
    if (!res.ok) throw new Error('config');
    f.reload(res.config.secfilter);
    expect(run(request(), '203.0.113.9')).toBe('next');
  });
});
