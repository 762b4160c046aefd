import { describe, expect, it } from 'vitest';
import { AdminRegistry } from '#libs/admin';
import { configError } from '#libs/config';
import { dispatcherAdminCommands } from './admin.ts';
import { DispatcherState } from './state.ts';
import { setsFromList } from './test-helpers.ts';

function registry(reloadOk = true) {
  const state = new DispatcherState(setsFromList('1 sip:127.0.0.1:5080\n1 sip:127.0.0.1:5082\n'), { now: () => 0 });
  const reg = new AdminRegistry();
  const reload = async () =>
    reloadOk
      ? { ok: true as const, summary: state.reload(setsFromList('1 sip:127.0.0.1:5080\n')) }
      : { ok: false as const, errors: [configError('check', '', 'bad line', { file: 'd.list', line: 3 })] };
  for (const c of dispatcherAdminCommands({ state, reload })) reg.register(c);
  return { state, reg };
}

describe('dispatcher admin commands', () => {
  it('dispatcher.list shows the live state', async () => {
    const { reg } = registry();
    const res = await reg.run('dispatcher.list', {});
    expect(res).toMatchObject({ ok: true, result: { sets: [{ id: 1, destinations: [{ uri: 'sip:127.0.0.1:5080', flags: 'AX' }, { flags: 'AX' }] }] } });
  });

  it('dispatcher.set_state takes Kamailio codes', async () => {
    const { reg, state } = registry();
    const res = await reg.run('dispatcher.set_state', { state: 'ip', group: '1', address: 'sip:127.0.0.1:5080' });
    expect(res).toEqual({ ok: true, result: { group: 1, address: 'sip:127.0.0.1:5080', state: 'inactive', probe: true } });
    expect(state.status(1, 'sip:127.0.0.1:5080')?.state.kind).toBe('inactive');
  });

  it('dispatcher.set_state rejects bad input with 400 and unknown targets with 404', async () => {
    const { reg } = registry();
    expect(await reg.run('dispatcher.set_state', { state: 'zz', group: 1, address: 'sip:127.0.0.1:5080' })).toMatchObject({ ok: false, status: 400 });
    expect(await reg.run('dispatcher.set_state', { state: 'a', group: 'one', address: 'sip:127.0.0.1:5080' })).toMatchObject({ ok: false, status: 400 });
    expect(await reg.run('dispatcher.set_state', { state: 'a', group: 1, address: 'sip:nope' })).toMatchObject({ ok: false, status: 404 });
    expect(await reg.run('dispatcher.set_state', { state: 'a', group: 5, address: 'sip:127.0.0.1:5080' })).toMatchObject({ ok: false, status: 404 });
  });

  it('dispatcher.reload applies or reports the problems', async () => {
    const ok = registry(true);
    expect(await ok.reg.run('dispatcher.reload', {})).toEqual({ ok: true, result: { added: 0, removed: 1, kept: 1 } });
    const bad = registry(false);
    const res = await bad.reg.run('dispatcher.reload', {});
    expect(res).toMatchObject({ ok: false, status: 422 });
    expect(!res.ok && res.error).toContain('d.list:3');
  });
});
