import { describe, expect, it } from 'vitest';
import { BusError } from './errors.ts';
import { assertToken, clusterWildcard, parseSubject, subjectFor, subjectMatches, subjectPattern } from './subjects.ts';

describe('subject builders', () => {
  it('config.<kind>', () => {
    expect(subjectFor('prod', { kind: 'config', name: 'dispatcher' })).toBe('sbc.prod.config.dispatcher');
  });
  it('gateway.state', () => {
    expect(subjectFor('prod', { kind: 'gateway' })).toBe('sbc.prod.gateway.state');
  });
  it('ban', () => {
    expect(subjectFor('prod', { kind: 'ban' })).toBe('sbc.prod.ban');
  });
  it('table.<name>', () => {
    expect(subjectFor('prod', { kind: 'table', name: 'acl_groups' })).toBe('sbc.prod.table.acl_groups');
  });
  it('patterns: every config kind, every table, or one channel', () => {
    expect(subjectPattern('prod', { kind: 'config' })).toBe('sbc.prod.config.*');
    expect(subjectPattern('prod', { kind: 'table' })).toBe('sbc.prod.table.*');
    expect(subjectPattern('prod', { kind: 'table', name: 'x' })).toBe('sbc.prod.table.x');
    expect(subjectPattern('prod', { kind: 'ban' })).toBe('sbc.prod.ban');
  });
  it('cluster wildcard', () => {
    expect(clusterWildcard('prod')).toBe('sbc.prod.>');
  });
  it('rejects names that would break the subject, with the fix in the message', () => {
    for (const bad of ['a.b', 'a*', '>', 'a b', '']) {
      expect(() => subjectFor('prod', { kind: 'table', name: bad })).toThrow(BusError);
      expect(() => subjectFor(bad, { kind: 'ban' })).toThrow(/letters, digits/);
    }
    try {
      assertToken('table name', 'x.y');
    } catch (err) {
      expect((err as BusError).code).toBe('BUS_BAD_TOKEN');
    }
    expect.assertions(11);
  });
});

describe('parseSubject', () => {
  it('round-trips every channel kind', () => {
    const channels = [
      { kind: 'config', name: 'acl' },
      { kind: 'gateway' },
      { kind: 'ban' },
      { kind: 'table', name: 'ipban' },
    ] as const;
    for (const ch of channels) expect(parseSubject('c1', subjectFor('c1', ch))).toEqual(ch);
  });
  it('rejects foreign and malformed subjects', () => {
    expect(parseSubject('c1', 'sbc.c2.ban')).toBeNull();
    expect(parseSubject('c1', 'xyz.c1.ban')).toBeNull();
    expect(parseSubject('c1', 'sbc.c1.ban.extra')).toBeNull();
    expect(parseSubject('c1', 'sbc.c1.config')).toBeNull();
    expect(parseSubject('c1', 'sbc.c1.gateway.other')).toBeNull();
    expect(parseSubject('c1', 'sbc.c1.table.a.b')).toBeNull();
  });
});

describe('subjectMatches (NATS rules, used by the memory bus)', () => {
  it('literal, * and >', () => {
    expect(subjectMatches('a.b.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.b.c', 'a.b.d')).toBe(false);
    expect(subjectMatches('a.*.c', 'a.x.c')).toBe(true);
    expect(subjectMatches('a.*', 'a.x.c')).toBe(false);
    expect(subjectMatches('a.>', 'a.x.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.b.c', 'a.b')).toBe(false);
  });
});
