import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { dispatcherSection, routingSection } from '#libs/dispatcher';
import { defineSection, formatConfigErrors, loadConfig as loadSections, nodeSections, t, type ConfigError, type LoadOptions } from './index.ts';

/** the core sections and the dispatcher's (a feature's sections, which several tests here read) */
const SECTIONS = [...nodeSections, dispatcherSection, routingSection] as const;
function loadConfig(opts: Omit<LoadOptions<typeof SECTIONS>, 'sections'>) {
  return loadSections({ sections: SECTIONS, ...opts });
}

const defaults = { hostname: 'host1', pid: 42 };

function errorsOf(res: { ok: true } | { ok: false; errors: readonly ConfigError[] }): readonly ConfigError[] {
  if (res.ok) throw new Error('expected errors, config loaded');
  return res.errors;
}

function find(errors: readonly ConfigError[], path: string): ConfigError {
  const e = errors.find((x) => x.path === path);
  if (!e) throw new Error(`no error at ${path}; got:\n${formatConfigErrors(errors)}`);
  return e;
}

describe('loadConfig: defaults', () => {
  it('loads with no file and no env, every default filled', () => {
    const res = loadConfig({ env: {}, defaults });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const c = res.config;
    expect(c.node.id).toBe('host1-42');
    expect(c.node.cluster).toBe('default');
    expect(c.sip.listen).toEqual([
      { proto: 'udp', host: '127.0.0.1', port: 5060 },
      { proto: 'tcp', host: '127.0.0.1', port: 5060 },
    ]);
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9060 });
    expect(c.tm).toEqual({ fr_timer: 32_000, fr_inv_timer: 120_000, t1: 500, t2: 4000, t4: 5000, wait_timer: 5000, max_transactions: 10_000, max_transactions_per_source: 400 });
    expect(c.dispatcher.failover_codes).toEqual([500, 503, 408, 'timeout']);
    expect(c.dispatcher.list_file).toBeUndefined();
    expect(c.routing.calls_set).toBeUndefined();
    expect(res.file).toBeUndefined();
  });

  it('returns a deep-frozen config', () => {
    const res = loadConfig({ env: {}, defaults });
    if (!res.ok) throw new Error('load failed');
    expect(Object.isFrozen(res.config)).toBe(true);
    expect(Object.isFrozen(res.config.sip.listen)).toBe(true);
    expect(Object.isFrozen(res.config.sip.listen[0])).toBe(true);
    expect(() => {
      (res.config.sip.limits as { max_via_depth: number }).max_via_depth = 1;
    }).toThrow(TypeError);
  });

  it('infers the config type from the schema', () => {
    const res = loadConfig({ env: {}, defaults });
    if (!res.ok) throw new Error('load failed');
    expectTypeOf(res.config.sip.listen[0].proto).toEqualTypeOf<'udp' | 'tcp'>();
    expectTypeOf(res.config.http.port).toEqualTypeOf<number>();
    expectTypeOf(res.config.routing.calls_set).toEqualTypeOf<number | undefined>();
    expectTypeOf(res.config.dispatcher.algorithm).toEqualTypeOf<0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13>();
  });
});

describe('loadConfig: file problems are all reported with lines', () => {
  const text = [
    'node:', //                                   1
    '  id: n1', //                                2
    'sip:', //                                    3
    '  listen:', //                               4
    '    - { proto: sctp, host: 127.0.0.1 }', // 5
    '  limts: {}', //                             6
    'dispatcher:', //                             7
    '  algorithm: 14', //                         8
    '  sets:', //                                 9
    '    - uri: sip:127.0.0.1:5080', //           10
    '    - { setid: 1, uri: "http://x" }', //     11
    'tm:', //                                     12
    '  t1: 2s', //                                13
    '  t2: 1s', //                                14
    'http:', //                                   15
    '  port: "9061"', //                          16
    'routng: {}', //                              17
  ].join('\n');
  const errors = errorsOf(loadConfig({ text, file: 'sbc.yaml', env: {}, defaults }));

  it('finds every problem at once', () => {
    expect(errors.map((e) => e.path).sort()).toEqual(
      [
        'dispatcher.algorithm',
        'dispatcher.sets[0].setid',
        'dispatcher.sets[1].uri',
        'http.port',
        'routng',
        'sip.limts',
        'sip.listen[0].proto',
        'tm.t2',
      ].sort(),
    );
  });

  it('names file, line and what is wrong', () => {
    expect(find(errors, 'sip.listen[0].proto')).toMatchObject({ file: 'sbc.yaml', line: 5, code: 'enum' });
    expect(find(errors, 'sip.listen[0].proto').message).toContain('"udp", "tcp"');
    expect(find(errors, 'dispatcher.algorithm')).toMatchObject({ line: 8, code: 'enum' });
    expect(find(errors, 'dispatcher.sets[1].uri')).toMatchObject({ line: 11, code: 'check' });
    expect(find(errors, 'dispatcher.sets[0].setid')).toMatchObject({ line: 10, code: 'missing' });
    expect(find(errors, 'tm.t2')).toMatchObject({ line: 14, code: 'check' });
    expect(find(errors, 'http.port').message).toContain('without quotes');
  });

  it('rejects unknown keys with a did-you-mean hint', () => {
    expect(find(errors, 'sip.limts')).toMatchObject({ line: 6, code: 'unknown_key' });
    expect(find(errors, 'sip.limts').message).toContain('did you mean "limits"');
    expect(find(errors, 'routng').message).toContain('did you mean "routing"');
  });

  it('formats a readable block', () => {
    const block = formatConfigErrors(errors);
    expect(block.split('\n')[0]).toBe('Invalid configuration: 8 problems');
    expect(block).toContain('sbc.yaml:5:');
    expect(block).toMatch(/sbc\.yaml:8:\d+ {2}dispatcher\.algorithm: must be one of 0, 1, 2/);
    // file order
    expect(block.indexOf('sbc.yaml:5:')).toBeLessThan(block.indexOf('sbc.yaml:8:'));
  });
});

describe('options with no effect yet are not offered', () => {
  it('reads dispatcher probing keys, and refuses a Kamailio seconds count taken for milliseconds', () => {
    const ok = loadConfig({ text: 'dispatcher:\n  ds_ping_interval: 30s\n  ds_probing_mode: 1\n  ds_ping_reply_codes: "class=2;code=403"\n', file: 's.yaml', env: {}, defaults });
    if (!ok.ok) throw new Error(formatConfigErrors(ok.errors));
    expect(ok.config.dispatcher).toMatchObject({ ds_ping_interval: 30_000, ds_probing_mode: 1, ds_ping_reply_codes: 'class=2;code=403', ds_ping_method: 'OPTIONS' });
    const errors = errorsOf(loadConfig({ text: 'dispatcher:\n  ds_ping_interval: 30\n  ds_ping_reply_codes: "codes=403"\n', file: 's.yaml', env: {}, defaults }));
    expect(errors.map((e) => [e.path, e.line])).toEqual([['dispatcher.ds_ping_interval', 2], ['dispatcher.ds_ping_reply_codes', 3]]);
    expect(errors[0].message).toContain('write "30s"');
  });

  it('accepts ds_ping_interval 0, written or left out', () => {
    for (const text of ['dispatcher:\n  ds_ping_interval: 0\n', 'dispatcher:\n  ds_ping_interval: 0s\n', '']) {
      const res = loadConfig({ text, file: 's.yaml', env: {}, defaults });
      if (!res.ok) throw new Error(formatConfigErrors(res.errors));
      expect(res.config.dispatcher.ds_ping_interval).toBe(0);
    }
  });

  it('rejects the removed keys as unknown, in the file and as variables', () => {
    const text = [
      'sip:',
      '  user_agent_header: x',
      '  tcp: { keepalive: true }',
      'state:',
      '  failMode: { default: closed }',
      'routing:',
      '  local_domains: [example.com]',
    ].join('\n');
    const errors = errorsOf(loadConfig({ text, file: 's.yaml', env: {}, defaults }));
    expect(errors.map((e) => e.path).sort()).toEqual(
      [
        'sip.user_agent_header',
        'sip.tcp.keepalive',
        'state.failMode',
        'routing.local_domains',
      ].sort(),
    );
    expect(errors.every((e) => e.code === 'unknown_key')).toBe(true);
    const env = errorsOf(loadConfig({ env: { SBC_STATE_FAIL_MODE_DEFAULT: 'closed', SBC_SIP_TCP_KEEPALIVE: 'no' }, defaults }));
    expect(env.map((e) => [e.code, e.envVar]).sort()).toEqual([
      ['unknown_env', 'SBC_SIP_TCP_KEEPALIVE'],
      ['unknown_env', 'SBC_STATE_FAIL_MODE_DEFAULT'],
    ]);
  });
});

describe('loadConfig: YAML and file errors', () => {
  it('reports YAML syntax errors with their line', () => {
    const errors = errorsOf(loadConfig({ text: 'node:\n  id: a\n  id: b\n', file: 'x.yaml', env: {}, defaults }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'syntax', file: 'x.yaml', line: 3 });
  });

  it('reports a missing file', () => {
    const errors = errorsOf(loadConfig({ file: '/nonexistent/sbc.yaml', env: {}, defaults }));
    expect(errors[0]).toMatchObject({ code: 'file', file: '/nonexistent/sbc.yaml' });
    expect(errors[0].message).toContain('not found');
  });

  it('rejects a file that is not a mapping', () => {
    const errors = errorsOf(loadConfig({ text: '- a\n- b\n', file: 'x.yaml', env: {}, defaults }));
    expect(errors[0].code).toBe('type');
  });

  it('treats an empty file and empty keys as absent', () => {
    const res = loadConfig({ text: 'sip:\n  server_header:\n', file: 'x.yaml', env: {}, defaults });
    expect(res.ok && res.config.sip.server_header).toBe('');
  });
});

describe('loadConfig: SBC_* environment', () => {
  it('overrides the file, converting text', () => {
    const text = 'http:\n  port: 9061\nlog:\n  level: warn\n';
    const res = loadConfig({
      text,
      file: 'sbc.yaml',
      env: {
        SBC_HTTP_PORT: '9070',
        SBC_SIP_LISTEN: 'udp:127.0.0.1:5070 advertise 203.0.113.9:5060,tcp:[::1]:5071',
        SBC_STATE_REDIS_URL: 'redis://127.0.0.1:6380',
        SBC_STATE_REDIS_TLS: 'yes',
        SBC_TM_T1: '250ms',
        SBC_DISPATCHER_FAILOVER_CODES: '503, timeout',
        SBC_BUS_SERVERS: '[nats://127.0.0.1:4222]',
        PATH: '/usr/bin',
      },
      defaults,
    });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    const c = res.config;
    expect(c.http.port).toBe(9070);
    expect(c.log.level).toBe('warn');
    expect(c.sip.listen).toEqual([
      { proto: 'udp', host: '127.0.0.1', port: 5070, advertise: { host: '203.0.113.9', port: 5060 } },
      { proto: 'tcp', host: '::1', port: 5071 },
    ]);
    expect(c.state.redis.url).toBe('redis://127.0.0.1:6380');
    expect(c.state.redis.tls).toBe(true);
    expect(c.tm.t1).toBe(250);
    expect(c.dispatcher.failover_codes).toEqual([503, 'timeout']);
    expect(c.bus.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(res.origin('http.port')).toEqual({ envVar: 'SBC_HTTP_PORT' });
  });

  it('reports an invalid value naming the variable', () => {
    const errors = errorsOf(loadConfig({ env: { SBC_HTTP_PORT: '70000', SBC_LOG_LEVEL: 'debugg', SBC_SIP_LISTEN: 'sctp:1.2.3.4:5060' }, defaults }));
    expect(find(errors, 'http.port')).toMatchObject({ envVar: 'SBC_HTTP_PORT', code: 'range' });
    expect(find(errors, 'log.level').message).toContain('did you mean "debug"');
    expect(find(errors, 'sip.listen[0].proto')).toMatchObject({ envVar: 'SBC_SIP_LISTEN' });
    expect(formatConfigErrors(errors)).toContain('env SBC_HTTP_PORT  http.port: must be 1..65535 (got 70000)');
  });

  it('rejects unknown SBC_ variables with a hint', () => {
    const errors = errorsOf(loadConfig({ env: { SBC_SIP_LISTN: 'x' }, defaults }));
    expect(errors[0]).toMatchObject({ code: 'unknown_env', envVar: 'SBC_SIP_LISTN' });
    expect(errors[0].message).toContain('SBC_SIP_LISTEN');
  });

  it('never echoes a secret', () => {
    const errors = errorsOf(loadConfig({ text: 'state:\n  redis:\n    password: 987654\n', file: 's.yaml', env: {}, defaults }));
    expect(errors[0]).toMatchObject({ path: 'state.redis.password', code: 'type', line: 3 });
    expect(formatConfigErrors(errors)).not.toContain('987654');
    const res = loadConfig({ env: { SBC_STATE_REDIS_PASSWORD: 'hunter2' }, defaults });
    expect(res.ok && res.config.state.redis.password).toBe('hunter2');
  });

  it('reads the file named by SBC_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbc-config-'));
    writeFileSync(join(dir, 'a.yaml'), 'http:\n  port: 9999\n');
    const res = loadConfig({ env: { SBC_CONFIG: join(dir, 'a.yaml') }, defaults });
    expect(res.ok && res.config.http.port).toBe(9999);
    expect(res.ok && res.file).toBe(join(dir, 'a.yaml'));
  });
});

describe('loadConfig: argv', () => {
  it('takes --config and --set, --set winning over env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbc-config-'));
    writeFileSync(join(dir, 'b.yaml'), 'log:\n  level: warn\n');
    const res = loadConfig({
      env: { SBC_HTTP_PORT: '9001' },
      argv: ['--config', join(dir, 'b.yaml'), '--set', 'http.port=9002', '--set=dispatcher.default_set=7'],
      defaults,
    });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.log.level).toBe('warn');
    expect(res.config.http.port).toBe(9002);
    expect(res.config.dispatcher.default_set).toBe(7);
  });

  it('reports unknown arguments and options', () => {
    const errors = errorsOf(loadConfig({ env: {}, argv: ['--verbose', '--set', 'http.prot=1'], defaults }));
    expect(errors.map((e) => e.code)).toEqual(['bad_argv', 'bad_argv']);
    expect(errors[1].message).toContain('http.port');
  });
});

describe('loadConfig: paths', () => {
  it('resolves file paths from the config folder, env paths from cwd', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbc-config-'));
    writeFileSync(join(dir, 'c.yaml'), 'dispatcher:\n  list_file: lists/dispatcher.list\n');
    const res = loadConfig({ file: join(dir, 'c.yaml'), env: {}, defaults });
    expect(res.ok && res.config.dispatcher.list_file).toBe(join(dir, 'lists/dispatcher.list'));
    const res2 = loadConfig({ file: join(dir, 'c.yaml'), env: { SBC_DISPATCHER_LIST_FILE: 'x.list' }, cwd: '/srv', defaults });
    expect(res2.ok && res2.config.dispatcher.list_file).toBe('/srv/x.list');
  });

  it('tells where a value came from', () => {
    const res = loadConfig({ text: 'dispatcher:\n  sets:\n    - setid: 1\n      uri: sip:127.0.0.1:5080\n', file: 's.yaml', env: {}, defaults });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.origin('dispatcher.sets[0].uri')).toMatchObject({ file: 's.yaml', line: 4 });
  });
});

describe('sections from feature libs', () => {
  const pike = defineSection(
    'pike',
    {
      sampling_time_unit: t.duration({ doc: 'window', default: 2000 }),
      reqs_density_per_unit: t.int({ doc: 'limit', min: 1, default: 30 }),
      trusted: t.list(t.string({ doc: 'cidr' }), { doc: 'exempt sources', default: [] }),
    },
    {
      doc: 'Anti-flood.',
      checks: [(v) => (v.reqs_density_per_unit > 1000 ? [{ path: 'reqs_density_per_unit', message: 'too high' }] : [])],
    },
  );

  it('composes with the node sections and is typed', () => {
    const res = loadSections({ sections: [pike], text: 'pike:\n  reqs_density_per_unit: 50\n', file: 'p.yaml', env: { SBC_PIKE_SAMPLING_TIME_UNIT: '5s' }, defaults });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expectTypeOf(res.config.pike.reqs_density_per_unit).toEqualTypeOf<number>();
    expect(res.config.pike).toEqual({ sampling_time_unit: 5000, reqs_density_per_unit: 50, trusted: [] });
  });

  it('runs section checks with the line of the value', () => {
    const errors = errorsOf(loadSections({ sections: [pike], text: 'pike:\n  reqs_density_per_unit: 5000\n', file: 'p.yaml', env: {}, defaults }));
    expect(errors[0]).toMatchObject({ path: 'pike.reqs_density_per_unit', line: 2, message: 'too high' });
  });

  it('refuses two sections with one name', () => {
    expect(() => loadSections({ sections: [pike, pike], env: {}, defaults })).toThrow(/defined twice/);
  });

  it('refuses two options mapping to one variable', () => {
    const clash = defineSection('x', { a_b: t.int({ doc: 'one', default: 1 }), aB: t.int({ doc: 'two', default: 2 }) }, { doc: 'clash' });
    expect(() => loadSections({ sections: [clash], env: {}, defaults })).toThrow(/SBC_X_A_B/);
  });
});

describe('renamed keys (snake_case, durations without a unit in the name)', () => {
  it('reads the old names of renamed keys into the new ones', () => {
    const text = 'sip:\n  limits: { maxViaDepth: 10 }\n  tcp: { idleTimeoutMs: 5s }\nbus:\n  resyncIntervalMs: 2s\ndispatcher:\n  failover_timeout_ms: 700ms\nlog:\n  rejects: { perSecond: 3 }\n';
    const res = loadConfig({ text, file: 'old.yaml', env: {}, defaults });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.sip.limits.max_via_depth).toBe(10);
    expect(res.config.sip.tcp.idle_timeout).toBe(5000);
    expect(res.config.bus.resync_interval).toBe(2000);
    expect(res.config.dispatcher.failover_timeout).toBe(700);
    expect(res.config.log.rejects.per_second).toBe(3);
  });

  it('refuses a key given under both names, with its line', () => {
    const errors = errorsOf(loadConfig({ text: 'dispatcher:\n  failover_timeout: 1s\n  failover_timeout_ms: 2s\n', file: 'both.yaml', env: {}, defaults }));
    expect(errors[0]).toMatchObject({ path: 'dispatcher.failover_timeout_ms', line: 3 });
    expect(errors[0].message).toContain('old name of "failover_timeout"');
  });

  it('the sanity section sets Proxy-Require tags and Max-Forwards', () => {
    const res = loadConfig({ text: 'sanity:\n  proxy_require: [foo]\n  max_forwards: 20\n', file: 's.yaml', env: {}, defaults });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.sanity).toEqual({ proxy_require: ['foo'], max_forwards: 20, max_forwards_limit: 70 });
    expect(errorsOf(loadConfig({ text: 'sanity:\n  proxy_require: ["a b"]\n', file: 's.yaml', env: {}, defaults }))[0]).toMatchObject({ path: 'sanity.proxy_require[0]', line: 2 });
  });
});
