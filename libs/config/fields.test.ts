import { describe, expect, it } from 'vitest';
import { defineSection, didYouMean, loadConfig, parseDuration, parseHostPort, t, upperSnake, formatConfigErrors } from './index.ts';

const defaults = { hostname: 'h', pid: 1 };

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['250', 250],
  ])('%s -> %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '2 s', '-1s', 's', '1d', '1s1'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parseHostPort', () => {
  it('parses names, IPv4 and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:5060')).toEqual({ host: '127.0.0.1', port: 5060 });
    expect(parseHostPort('sbc.example.com:5080')).toEqual({ host: 'sbc.example.com', port: 5080 });
    expect(parseHostPort('[2001:db8::1]:5060')).toEqual({ host: '2001:db8::1', port: 5060 });
  });

  it('explains what is wrong', () => {
    expect(parseHostPort('127.0.0.1')).toMatch(/port/);
    expect(parseHostPort('::1:5060')).toMatch(/brackets/);
    expect(parseHostPort('1.2.3.4:70000')).toMatch(/1\.\.65535/);
  });
});

describe('names', () => {
  it('maps keys to upper snake case', () => {
    expect(upperSnake('maxMessageBytes')).toBe('MAX_MESSAGE_BYTES');
    expect(upperSnake('fr_timer')).toBe('FR_TIMER');
    expect(upperSnake('t1')).toBe('T1');
    expect(upperSnake('keyPrefix')).toBe('KEY_PREFIX');
  });

  it('suggests close names only', () => {
    expect(didYouMean('lsiten', ['listen', 'limits'])).toBe('listen');
    expect(didYouMean('max_message_bytes', ['maxMessageBytes'])).toBe('maxMessageBytes');
    expect(didYouMean('zzz', ['listen', 'limits'])).toBeUndefined();
  });
});

describe('field types through a section', () => {
  const sec = defineSection(
    'demo',
    {
      flag: t.bool({ doc: 'a flag', default: false }),
      hp: t.hostPort({ doc: 'an address', optional: true }),
      kind: t.enum(['a', 'b'], { doc: 'a kind', default: 'a' }),
      nums: t.list(t.int({ doc: 'n', min: 0, max: 9 }), { doc: 'digits', default: [], maxItems: 3 }),
      code: t.union([t.int({ doc: 'code', min: 300, max: 699 }), t.enum(['timeout'], { doc: 'timeout' })], { doc: 'either', default: 'timeout' }),
      name: t.string({ doc: 'name', default: 'x', pattern: /^[a-z]+$/, patternDoc: 'lower-case letters' }),
      even: t.int({ doc: 'even', default: 0, check: (v) => (v % 2 === 0 ? undefined : 'must be even') }),
      sub: t.object({ deep: t.int({ doc: 'deep', default: 1 }) }, { doc: 'nested' }),
      store: t.url({ doc: 'redis', protocols: ['redis:'], default: 'redis://127.0.0.1:6379' }),
      modes: t.map(t.enum(['open', 'closed'], { doc: 'mode' }), { doc: 'per-name modes', default: {} }),
    },
    { doc: 'demo' },
  );
  const load = (text: string, env: Record<string, string> = {}) => loadConfig({ sections: [sec], text, file: 'd.yaml', env, defaults });

  it('reads valid values', () => {
    const res = load('demo:\n  flag: true\n  hp: "[::1]:5060"\n  kind: b\n  nums: [1, 2]\n  code: 503\n  name: abc\n  even: 4\n  sub: { deep: 3 }\n');
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.demo).toEqual({
      flag: true,
      hp: { host: '::1', port: 5060 },
      kind: 'b',
      nums: [1, 2],
      code: 503,
      name: 'abc',
      even: 4,
      sub: { deep: 3 },
      store: 'redis://127.0.0.1:6379',
      modes: {},
    });
  });

  it('reports one problem per bad value, with the line', () => {
    const res = load(
      'demo:\n  flag: "yes"\n  hp: localhost\n  kind: c\n  nums: [1, 12, x, 3]\n  code: 200\n  name: ABC\n  even: 3\n  sub: { deep: 1, deeper: 2 }\n  store: http://x\n',
    );
    if (res.ok) throw new Error('expected errors');
    const by = Object.fromEntries(res.errors.map((e) => [e.path, e]));
    expect(Object.keys(by).sort()).toEqual(
      ['demo.code', 'demo.even', 'demo.flag', 'demo.hp', 'demo.kind', 'demo.name', 'demo.nums[1]', 'demo.nums[2]', 'demo.store', 'demo.sub.deeper'].sort(),
    );
    expect(by['demo.flag'].line).toBe(2);
    expect(by['demo.even'].message).toBe('must be even');
    expect(by['demo.code'].message).toContain('300..699');
    expect(by['demo.name'].message).toContain('lower-case letters');
    expect(by['demo.sub.deeper'].line).toBe(9);
  });

  it('checks list length', () => {
    const res = load('demo:\n  nums: [1, 2, 3, 4]\n');
    expect(!res.ok && res.errors[0].message).toContain('at most 3');
  });

  it('converts env text per type', () => {
    const res = load('', { SBC_DEMO_FLAG: 'on', SBC_DEMO_NUMS: '1,2', SBC_DEMO_CODE: '486', SBC_DEMO_SUB_DEEP: '9', SBC_DEMO_HP: '10.0.0.1:5080', SBC_DEMO_MODES: 'bans=closed,pike=open' });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.demo).toMatchObject({ flag: true, nums: [1, 2], code: 486, sub: { deep: 9 }, hp: { host: '10.0.0.1', port: 5080 }, modes: { bans: 'closed', pike: 'open' } });
  });

  it('rejects malformed env text', () => {
    const res = load('', { SBC_DEMO_FLAG: 'maybe', SBC_DEMO_NUMS: '[1,', SBC_DEMO_SUB_DEEP: '1.5', SBC_DEMO_MODES: 'bans=shut' });
    if (res.ok) throw new Error('expected errors');
    expect(res.errors.map((e) => e.envVar).sort()).toEqual(['SBC_DEMO_FLAG', 'SBC_DEMO_MODES', 'SBC_DEMO_NUMS', 'SBC_DEMO_SUB_DEEP']);
  });

  it('rejects a field schema without doc text at definition', () => {
    expect(() => t.int({} as never)).toThrow(/doc/);
  });
});
