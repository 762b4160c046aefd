import { describe, expect, it } from 'vitest';
import { loadConfig, type AnyField } from '#libs/config';
import { permissionsSection } from './config.ts';
import { permissionsConfig } from './test-support.ts';

function problems(yaml: string): string[] {
  const res = loadConfig({ sections: [permissionsSection] as const, env: {}, text: yaml, file: 'sbc.yaml', cwd: '/etc/sbc' });
  if (res.ok) return [];
  // file order, as formatConfigErrors prints them
  return [...res.errors].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)).map((e) => `${e.line}: ${e.path}: ${e.message}`);
}

describe('permissions config section', () => {
  it('defaults: enabled, empty tables', () => {
    const c = permissionsConfig();
    expect(c.enabled).toBe(true);
    expect(c.address).toEqual([]);
    expect(c.routing).toEqual({ allow: [], deny: [] });
    expect(c.policies).toEqual([]);
  });

  it('fills entry defaults (port 0, proto any, priority 0, policy 403 Forbidden)', () => {
    const c = permissionsConfig(
      ['address: [{ group: 3, ip: "2001:db8::/32" }]', 'trusted: [{ src_ip: 192.0.2.1, tag: gw }]', 'groups: { g: [alice] }', 'policies: [{ name: p, ruri_pattern: x, require_group: g }]'].join('\n'),
    );
    expect(c.address[0]).toEqual({ group: 3, ip: '2001:db8::/32', port: 0, proto: 'any' });
    expect(c.trusted[0]).toEqual({ src_ip: '192.0.2.1', tag: 'gw', proto: 'any', priority: 0 });
    expect(c.policies[0]).toMatchObject({ status: 403, reason: 'Forbidden' });
  });

  it('lists every field problem with its line', () => {
    const yaml = [
      'permissions:', // 1
      '  address:', // 2
      '    - { group: 0, ip: 10.0.0.0/8 }', // 3
      '    - { group: 1, ip: 10.0.0.1/8 }', // 4
      '    - { group: 1, ip: 10.0.0.0/8, proto: http }', // 5
      '  trusted:', // 6
      '    - { src_ip: 192.0.2.1, tag: gw, from_pattern: "^sip:(" }', // 7
      '  routing:', // 8
      '    deny:', // 9
      '      - \'ALL : "^sip:900" EXCEPT\'', // 10
      '  groups:', // 11
      '    international: ["sip:", "alice@"]', // 12
      '  policies:', // 13
      '    - { name: Intl, ruri_pattern: "^sip:00", require_group: international, reason: "bad\\u0001" }', // 14
    ].join('\n');
    expect(problems(yaml)).toEqual([
      '3: permissions.address[0].group: must be 1..2147483647 (got 0)',
      '4: permissions.address[1].ip: 10.0.0.1/8 has host bits set: the subnet is 10.0.0.0/8',
      expect.stringMatching(/^5: permissions\.address\[2\]\.proto: must be one of "any", "udp"/),
      expect.stringMatching(/^7: permissions\.trusted\[0\]\.from_pattern: bad regular expression "\^sip:\("/),
      '10: permissions.routing.deny[0]: EXCEPT needs patterns after it in the URI list',
      '12: permissions.groups.international[0]: "sip:" is not a valid URI',
      '12: permissions.groups.international[1]: "alice@" has no domain after "@"',
      expect.stringMatching(/^14: permissions\.policies\[0\]\.name: may only hold lower-case letters/),
      expect.stringMatching(/^14: permissions\.policies\[0\]\.reason: may only hold 1-120 printable ASCII/),
    ]);
  });

  it('checks references across the section', () => {
    const yaml = [
      'permissions:',
      '  address: [{ group: 1, ip: 10.0.0.0/8 }]',
      '  trusted_group: 2',
      '  source_group: 1',
      '  groups: { "bad name": [alice] }',
      '  policies:',
      '    - { name: intl, ruri_pattern: "^sip:00", require_group: international }',
      '    - { name: intl, ruri_pattern: "^sip:900", require_group: "bad name" }',
    ].join('\n');
    expect(problems(yaml)).toEqual([
      '3: permissions.trusted_group: address group 2 has no entries in permissions.address',
      expect.stringMatching(/^5: permissions\.groups\.bad name: group names may only hold/),
      '7: permissions.policies[0].require_group: no group "international" in permissions.groups (defined: bad name)',
      '8: permissions.policies[1].name: policy "intl" is defined twice',
    ]);
  });

  it('every option has doc text (docs/permissions.md and GET /admin rely on it)', () => {
    const missing: string[] = [];
    const visit = (f: AnyField, path: string) => {
      if (f.doc.trim() === '') missing.push(path);
      for (const [k, sub] of Object.entries(f.fields ?? {})) visit(sub, `${path}.${k}`);
      if (f.item) visit(f.item, `${path}[]`);
      for (const a of f.alternatives ?? []) visit(a, `${path}|`);
    };
    visit(permissionsSection.field, 'permissions');
    expect(missing).toEqual([]);
  });
});
