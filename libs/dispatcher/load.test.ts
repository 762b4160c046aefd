import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adminSection } from '#libs/admin';
import { formatConfigErrors, loadConfig, nodeSections } from '#libs/config';
import { loadDispatcherSets } from './build.ts';
import { dispatcherSection, routingSection } from './config.ts';
import { DispatcherState } from './state.ts';
import { ctxFor } from './test-helpers.ts';

const defaults = { hostname: 'h', pid: 1 };

function load(yaml: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-ds-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'sbc.yaml'), yaml);
  const cfg = loadConfig({ file: join(dir, 'sbc.yaml'), env: {}, defaults, sections: [...nodeSections, dispatcherSection, routingSection] });
  if (!cfg.ok) throw new Error(formatConfigErrors(cfg.errors));
  return { dir, cfg, res: loadDispatcherSets(cfg.config.dispatcher, { origin: cfg.origin, localSockets: cfg.config.sip.listen }) };
}

describe('loadDispatcherSets', () => {
  it('merges the list file and inline sets', () => {
    const { res } = load(
      [
        'dispatcher:',
        '  list_file: dispatcher.list',
        '  sets:',
        '    - { setid: 1, uri: "sip:127.0.0.1:5090", priority: 5, attrs: { duid: gw3, weight: 20 } }',
        '    - { setid: 2, uri: "sip:10.0.0.9", attrs: "duid=x" }',
      ].join('\n'),
      { 'dispatcher.list': '1 sip:127.0.0.1:5080\n1 sip:127.0.0.1:5082\n' },
    );
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.sets.map((s) => [s.id, s.destinations.map((d) => d.uri)])).toEqual([
      [1, ['sip:127.0.0.1:5090', 'sip:127.0.0.1:5080', 'sip:127.0.0.1:5082']],
      [2, ['sip:10.0.0.9']],
    ]);
    expect(res.sets[0].destinations[0].attrs).toMatchObject({ duid: 'gw3', weight: 20 });
    expect(res.sets[0].destinations[0].source).toMatchObject({ path: 'dispatcher.sets[0]', line: 4 });
  });

  it('reports list-file and inline problems with their lines, all at once', () => {
    const { res } = load(
      ['dispatcher:', '  list_file: d.list', '  algorithm: 10', '  default_set: 3', '  sets:', '    - setid: 1', '      uri: sip:127.0.0.1:5090', '      attrs: weight=500'].join('\n'),
      { 'd.list': '1 sip:127.0.0.1:5080 0 0 duid=a\nbad line\n1 sip:127.0.0.1:5082 0 0 socket=udp:10.9.9.9:5060\n' },
    );
    if (res.ok) throw new Error('expected errors');
    const lines = res.errors.map((e) => `${e.file?.endsWith('d.list') ? 'd.list' : e.file?.endsWith('sbc.yaml') ? 'sbc.yaml' : '-'}:${e.line ?? '-'} ${e.path}`);
    expect(lines.sort()).toEqual(
      ['d.list:2 ', 'd.list:3 ', 'sbc.yaml:8 dispatcher.sets[0].attrs', 'sbc.yaml:3 dispatcher.algorithm', 'sbc.yaml:4 dispatcher.default_set'].sort(),
    );
    const alg = res.errors.find((e) => e.path === 'dispatcher.algorithm');
    expect(alg?.message).toContain('needs attr duid');
    expect(alg?.message).toContain('sip:127.0.0.1:5082');
  });

  it('reports a missing list file', () => {
    const { res } = load('dispatcher:\n  list_file: nope.list\n');
    expect(!res.ok && res.errors[0]).toMatchObject({ code: 'file', path: 'dispatcher.list_file', line: 2 });
  });

  it('checks weights for algorithm 9', () => {
    const { res } = load('dispatcher:\n  algorithm: 9\n  list_file: d.list\n', { 'd.list': '1 sip:a 0 0 weight=70\n1 sip:b 0 0 weight=50\n' });
    expect(!res.ok && res.errors[0].message).toContain('add up to 120');
  });

  it('checks sets named elsewhere in the config', () => {
    const { cfg } = load('dispatcher:\n  sets: [{ setid: 1, uri: "sip:a.example" }]\nrouting:\n  calls_set: 4\n');
    const res = loadDispatcherSets(cfg.config.dispatcher, {
      origin: cfg.origin,
      requiredSets: [{ path: 'routing.calls_set', setId: cfg.config.routing.calls_set ?? 1 }],
    });
    expect(!res.ok && res.errors[0]).toMatchObject({ path: 'routing.calls_set', line: 4 });
  });

  it('accepts no destinations at all (dispatcher unused)', () => {
    const { res } = load('node:\n  id: a\n');
    expect(res).toEqual({ ok: true, sets: [] });
  });
});

describe('deploy sample', () => {
  it('deploy/sbc.yaml and deploy/dispatcher.list load cleanly', () => {
    const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../deploy/sbc.yaml');
    // the sample also configures the admin API (its own section, libs/admin)
    const cfg = loadConfig({ file, env: {}, defaults, sections: [...nodeSections, adminSection, dispatcherSection, routingSection] });
    if (!cfg.ok) throw new Error(formatConfigErrors(cfg.errors));
    expect(cfg.config.sip.listen.map((s) => `${s.proto}:${s.host}:${s.port}`)).toEqual(['udp:127.0.0.1:5060', 'tcp:127.0.0.1:5060']);
    expect(cfg.config.state.backend).toBe('memory');
    expect(cfg.config.dispatcher.list_file).toBe(resolve(dirname(file), 'dispatcher.list'));
    const res = loadDispatcherSets(cfg.config.dispatcher, { origin: cfg.origin, localSockets: cfg.config.sip.listen });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.sets.map((s) => [s.id, s.destinations.map((d) => d.uri)])).toEqual([[1, ['sip:127.0.0.1:5080', 'sip:127.0.0.1:5082']]]);
    const ds = new DispatcherState(res.sets);
    const firsts = [0, 1, 2, 3].map((i) => ds.select(cfg.config.routing.calls_set ?? cfg.config.dispatcher.default_set, cfg.config.dispatcher.algorithm, ctxFor(`c${i}`))[0].uri);
    expect(firsts).toEqual(['sip:127.0.0.1:5080', 'sip:127.0.0.1:5082', 'sip:127.0.0.1:5080', 'sip:127.0.0.1:5082']);
  });
});
