import { describe, expect, it } from 'vitest';
import { afterOutcome, initialStatus, parseStateCode, stateCode } from './state-machine.ts';
import { DispatcherState } from './state.ts';
import { ctxFor, setsFromList } from './test-helpers.ts';
import { DispatcherError, type DispatcherEvent } from './types.ts';

const LIST = '1 sip:a\n1 sip:b 9\n1 sip:c 4\n2 sip:x 2 0 duid=x\n';

describe('initial state from flags', () => {
  it('maps Kamailio flag bits', () => {
    expect(initialStatus(0, 5)).toEqual({ state: { kind: 'active' }, probe: false, since: 5 });
    expect(initialStatus(9, 5)).toEqual({ state: { kind: 'inactive', successes: 0 }, probe: true, since: 5 });
    expect(initialStatus(2, 5).state).toEqual({ kind: 'probing', failures: 0 });
    expect(initialStatus(5, 5).state.kind).toBe('disabled');
  });

  it('shows and parses Kamailio state codes', () => {
    expect(stateCode(initialStatus(9, 0))).toBe('IP');
    expect(stateCode(initialStatus(0, 0))).toBe('AX');
    expect(stateCode(initialStatus(2, 0))).toBe('TX');
    expect(parseStateCode('ip')).toEqual({ kind: 'inactive', probe: true });
    expect(parseStateCode('A')).toEqual({ kind: 'active' });
    expect(parseStateCode('t')).toEqual({ kind: 'probing' });
    expect(parseStateCode('disabled')).toEqual({ kind: 'disabled' });
    expect(parseStateCode('x')).toBeUndefined();
    expect(parseStateCode('dpp')).toBeUndefined();
  });
});

describe('afterOutcome (probing thresholds)', () => {
  const t3 = { probingThreshold: 3, inactiveThreshold: 2 };
  it('goes active -> trying -> inactive after the failure threshold', () => {
    let s = afterOutcome({ kind: 'active' }, false, t3);
    expect(s).toEqual({ kind: 'probing', failures: 1 });
    s = afterOutcome(s, false, t3);
    expect(s).toEqual({ kind: 'probing', failures: 2 });
    s = afterOutcome(s, false, t3);
    expect(s).toEqual({ kind: 'inactive', successes: 0 });
  });

  it('goes straight to inactive with threshold 1, and back after the success threshold', () => {
    const t1 = { probingThreshold: 1, inactiveThreshold: 2 };
    let s = afterOutcome({ kind: 'active' }, false, t1);
    expect(s.kind).toBe('inactive');
    s = afterOutcome(s, true, t1);
    expect(s).toEqual({ kind: 'inactive', successes: 1 });
    expect(afterOutcome(s, false, t1)).toEqual({ kind: 'inactive', successes: 0 });
    expect(afterOutcome(s, true, t1)).toEqual({ kind: 'active' });
  });

  it('leaves disabled alone and heals trying on success', () => {
    expect(afterOutcome({ kind: 'disabled' }, true, t3)).toEqual({ kind: 'disabled' });
    expect(afterOutcome({ kind: 'probing', failures: 2 }, true, t3)).toEqual({ kind: 'active' });
  });
});

describe('DispatcherState', () => {
  it('emits a state event on every change of kind or probe flag, not on no-ops', () => {
    let now = 100;
    const ds = new DispatcherState(setsFromList(LIST), { now: () => now });
    const events: DispatcherEvent[] = [];
    const off = ds.on('state', (e) => events.push(e));
    now = 200;
    ds.setState(1, 'sip:a', 'inactive', { probe: true });
    ds.setState(1, 'sip:a', 'inactive', { probe: true });
    ds.setState(1, 'sip:a', 'active', { reason: 'cluster' });
    expect(events).toEqual([
      {
        type: 'state',
        setId: 1,
        uri: 'sip:a',
        from: { state: { kind: 'active' }, probe: false, since: 100 },
        to: { state: { kind: 'inactive', successes: 0 }, probe: true, since: 200 },
        reason: 'admin',
      },
      {
        type: 'state',
        setId: 1,
        uri: 'sip:a',
        from: { state: { kind: 'inactive', successes: 0 }, probe: true, since: 200 },
        to: { state: { kind: 'active' }, probe: true, since: 200 },
        reason: 'cluster',
      },
    ]);
    off();
    ds.setState(1, 'sip:a', 'disabled');
    expect(events).toHaveLength(2);
  });

  it('reports probe outcomes through the thresholds', () => {
    const ds = new DispatcherState(setsFromList(LIST));
    const kinds: string[] = [];
    ds.on('state', (e) => kinds.push(`${e.to.state.kind}/${e.reason}`));
    const t = { probingThreshold: 2, inactiveThreshold: 1 };
    ds.report(1, 'sip:a', false, t, 'failover');
    ds.report(1, 'sip:a', false, t, 'failover');
    ds.report(1, 'sip:a', true, t);
    expect(kinds).toEqual(['probing/failover', 'inactive/failover', 'active/probe']);
  });

  it('throws a typed error for an unknown set or destination', () => {
    const ds = new DispatcherState(setsFromList(LIST));
    expect(() => ds.setState(7, 'sip:a', 'active')).toThrow(expect.objectContaining({ code: 'unknown_set' }));
    expect(() => ds.setState(1, 'sip:nope', 'active')).toThrow(DispatcherError);
  });

  it('lists sets with live state (dispatcher.list)', () => {
    const ds = new DispatcherState(setsFromList(LIST), { now: () => 1 });
    ds.setState(1, 'sip:a', 'inactive', { probe: true });
    expect(ds.list()).toEqual([
      {
        id: 1,
        destinations: [
          { uri: 'sip:a', flags: 'IP', state: 'inactive', probe: true, since: 1, priority: 0, attrs: '' },
          { uri: 'sip:b', flags: 'IP', state: 'inactive', probe: true, since: 1, priority: 0, attrs: '' },
          { uri: 'sip:c', flags: 'DX', state: 'disabled', probe: false, since: 1, priority: 0, attrs: '' },
        ],
      },
      { id: 2, destinations: [{ uri: 'sip:x', flags: 'TX', state: 'probing', probe: false, since: 1, priority: 0, attrs: 'duid=x', duid: 'x' }] },
    ]);
  });

  it('keeps live state across a reload for unchanged destinations', () => {
    const ds = new DispatcherState(setsFromList('1 sip:a\n1 sip:b\n1 sip:c\n'));
    ds.setState(1, 'sip:a', 'inactive');
    ds.setState(1, 'sip:b', 'inactive');
    const reloads: DispatcherEvent[] = [];
    ds.on('reload', (e) => reloads.push(e));
    // sip:b flags edited -> starts from its flags; sip:c removed; sip:d and set 2 new
    const summary = ds.reload(setsFromList('1 sip:a\n1 sip:b 8\n1 sip:d\n2 sip:z\n'));
    expect(summary).toEqual({ added: 3, removed: 2, kept: 1 });
    expect(reloads).toEqual([{ type: 'reload', sets: 2, added: 3, removed: 2, kept: 1 }]);
    expect(ds.status(1, 'sip:a')?.state.kind).toBe('inactive');
    expect(ds.status(1, 'sip:b')).toMatchObject({ state: { kind: 'active' }, probe: true });
    expect(ds.status(1, 'sip:c')).toBeUndefined();
    expect(ds.setIds()).toEqual([1, 2]);
    expect(ds.select(1, 8, ctxFor('x')).map((d) => d.uri)).toEqual(['sip:b', 'sip:d']);
  });

  it('notifies every listener even when one throws, then reports it', () => {
    const logged: object[] = [];
    const ds = new DispatcherState(setsFromList(LIST), { logger: { error: (o) => void logged.push(o) } });
    let second = 0;
    ds.on('state', () => {
      throw new Error('nats down');
    });
    ds.on('state', () => void second++);
    ds.setState(1, 'sip:a', 'inactive');
    expect(second).toBe(1);
    expect(logged).toHaveLength(1);
    expect(ds.status(1, 'sip:a')?.state.kind).toBe('inactive');

    const bare = new DispatcherState(setsFromList(LIST));
    bare.on('state', () => {
      throw new Error('boom');
    });
    expect(() => bare.setState(1, 'sip:a', 'inactive')).toThrow('boom');
    expect(bare.status(1, 'sip:a')?.state.kind).toBe('inactive');
  });
});
