import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminRegistry } from '#libs/admin';
import type { RequestContext } from '#libs/proxy';
import { createRejectionCatalog, RejectionRecorder, SANITY_REJECTIONS } from '#libs/rejections';
import { applyPermissionsDoc, createPermissions, parsePermissionsDoc, PermissionsConfigError, type Permissions } from './index.ts';
import { memoryFiles, permissionsConfig, sipRequest, udp, type RequestSpec } from './test-support.ts';

const logger = pino({ level: 'silent' });

const BASE = `
address:
  - { group: 1, ip: 10.20.0.0/16, tag: core }
  - { group: 1, ip: 10.30.0.5, port: 5060, proto: udp, tag: sbc-b }
trusted_group: 1
trusted:
  - { src_ip: 192.0.2.10, proto: udp, from_pattern: "^sip:.*@carrier\\\\.example$", tag: carrier-a, priority: 10 }
  - { src_ip: 192.0.2.0/24, tag: carrier-range }
routing:
  basename: rules/routing
groups:
  international: ["alice@example.com"]
policies:
  - name: international
    ruri_pattern: '^sip:00[1-9][0-9]+@'
    require_group: international
    reason: No permission for international calls
`;

function start(files: Record<string, string>, yaml = BASE, registry = new Registry()) {
  const read = memoryFiles(files);
  const perms = createPermissions({ config: permissionsConfig(yaml), registry, logger, readFile: read, baseDir: '/etc/sbc' });
  return { perms, registry };
}

function ctx(spec: RequestSpec, source = udp('198.51.100.7')): RequestContext {
  const msg = sipRequest(spec);
  return { msg, source, inDialog: msg.toTag() !== undefined } as unknown as RequestContext;
}

const call = (from: string, ruri: string) => ctx({ method: 'INVITE', ruri, from });
const run = (p: Permissions, c: RequestContext) => p.step.run(c);

const ROUTING_FILES = { '/etc/sbc/rules/routing.deny': '# premium numbers\nALL : "^sip:900"\n' };

describe('createPermissions: the step', () => {
  it('is named "permissions" and answers next or a rejection code with detail', () => {
    const { perms } = start(ROUTING_FILES);
    expect(perms.step.name).toBe('permissions');
    expect(run(perms, call('sip:alice@example.com', 'sip:+4930123@sbc.example.com'))).toBe('next');
    expect(run(perms, call('sip:alice@example.com', 'sip:9001234@sbc.example.com'))).toEqual({ reject: 'permissions.routing', detail: 'deny rule /etc/sbc/rules/routing.deny:2' });
  });

  it('non-member dialing 00... gets 403 "No permission for international calls"; a member passes', () => {
    const { perms, registry } = start(ROUTING_FILES);
    const verdict = run(perms, call('sip:dave@example.com', 'sip:0044207123456@sbc.example.com'));
    expect(verdict).toEqual({ reject: 'permissions.policy.international', detail: 'policy international (group international)' });
    expect(run(perms, call('sip:alice@example.com', 'sip:0044207123456@sbc.example.com'))).toBe('next');
    // what the proxy answers: the catalog entry of that code
    const catalog = createRejectionCatalog(SANITY_REJECTIONS, perms.rejections);
    const recorder = new RejectionRecorder({ catalog, registry, logger });
    const def = recorder.recordRejection((verdict as { reject: string }).reject);
    expect(def).toMatchObject({ status: 403, reason: 'No permission for international calls', label: 'permissions_group' });
    expect(catalog.get('permissions.routing')).toMatchObject({ status: 403, reason: 'Forbidden', label: 'permissions_routing' });
  });

  it('counts denials by rule in sbc_permissions_denied_total', async () => {
    const { perms, registry } = start(ROUTING_FILES);
    run(perms, call('sip:alice@example.com', 'sip:9001234@sbc.example.com'));
    run(perms, call('sip:dave@example.com', 'sip:0044207123456@sbc.example.com'));
    run(perms, call('sip:dave@example.com', 'sip:0033123456@sbc.example.com'));
    const text = await registry.getSingleMetricAsString('sbc_permissions_denied_total');
    expect(text).toContain('sbc_permissions_denied_total{rule="routing"} 1');
    expect(text).toContain('sbc_permissions_denied_total{rule="group"} 2');
    expect(text).toContain('sbc_permissions_denied_total{rule="register"} 0');
  });

  it('allow_source_address / allow_address / allow_trusted on the live tables', () => {
    const { perms } = start(ROUTING_FILES);
    expect(perms.allowSourceAddress(1, udp('10.20.200.1', 40000))).toBe(true);
    expect(perms.allowSourceAddress(1, udp('10.30.0.5', 5070))).toBe(false);
    expect(perms.allowAddress(1, '10.30.0.5', 5060)).toBe(true);
    const fromCarrier = sipRequest({ method: 'INVITE', ruri: 'sip:+4930123@sbc.example.com', from: 'sip:+15551234@carrier.example' });
    expect(perms.allowTrusted(udp('192.0.2.10'), fromCarrier)).toBe('carrier-a');
    const fromOther = sipRequest({ method: 'INVITE', ruri: 'sip:+4930123@sbc.example.com', from: 'sip:x@other.example' });
    expect(perms.allowTrusted(udp('192.0.2.10'), fromOther)).toBe('carrier-range');
    expect(perms.allowTrusted(udp('192.0.3.10'), fromOther)).toBeUndefined();
  });

  it('enabled: false lets everything through', () => {
    const { perms } = start(ROUTING_FILES, `${BASE}\nenabled: false`);
    expect(run(perms, call('sip:dave@example.com', 'sip:0044207123456@sbc.example.com'))).toBe('next');
  });

  it('refuses to start on a bad rule file, naming file and line', () => {
    const bad = { '/etc/sbc/rules/routing.deny': 'ALL : "^sip:900"\nALL "^sip:901"\n' };
    let err: unknown;
    try {
      start(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PermissionsConfigError);
    expect((err as PermissionsConfigError).errors.map((e) => `${e.file}:${e.line}`)).toEqual(['/etc/sbc/rules/routing.deny:2']);
    expect((err as Error).message).toContain('/etc/sbc/rules/routing.deny:2  missing ":"');
  });
});

describe('reload: compiled tables swap at once', () => {
  it('permissions.reload re-reads the files; a bad file leaves the current rules in place', () => {
    const files: Record<string, string> = { ...ROUTING_FILES };
    const perms = createPermissions({ config: permissionsConfig(BASE), registry: new Registry(), logger, readFile: memoryFiles(files) });
    const premium = call('sip:alice@example.com', 'sip:9001234@sbc.example.com');
    const premium2 = call('sip:alice@example.com', 'sip:9011234@sbc.example.com');
    const before = perms.tables();
    expect(run(perms, premium2)).toBe('next');

    files['/etc/sbc/rules/routing.deny'] = 'ALL : "^sip:90[01]"\n';
    const ok = perms.reload();
    expect(ok.ok && ok.summary.routing).toEqual({ allow: 0, deny: 1 });
    expect(perms.tables()).not.toBe(before);
    expect(run(perms, premium2)).toMatchObject({ reject: 'permissions.routing' });
    // the tables a request already holds are never changed under it
    expect(before.routing.decide('sip:alice@example.com', 'sip:9011234@sbc.example.com').verdict).toBe('none');

    files['/etc/sbc/rules/routing.deny'] = 'ALL : "^sip:(90"\n';
    const bad = perms.reload();
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]).toMatchObject({ file: '/etc/sbc/rules/routing.deny', line: 1 });
    expect(run(perms, premium)).toMatchObject({ reject: 'permissions.routing' });
    expect(run(perms, premium2)).toMatchObject({ reject: 'permissions.routing' });
  });

  it('applies a cluster document (YAML or JSON of the section) and refuses a bad one with its line', async () => {
    const registry = new Registry();
    const { perms } = start(ROUTING_FILES, BASE, registry);
    const intl = call('sip:dave@example.com', 'sip:0044207123456@sbc.example.com');
    expect(run(perms, intl)).toMatchObject({ reject: 'permissions.policy.international' });

    const yamlDoc = ['groups:', '  international: [alice@example.com, dave@example.com]', 'policies:', '  - name: international', "    ruri_pattern: '^sip:00[1-9][0-9]+@'", '    require_group: international', '    reason: No permission for international calls'].join('\n');
    expect(applyPermissionsDoc(perms, yamlDoc).ok).toBe(true);
    expect(run(perms, intl)).toBe('next');
    // the document replaced the whole section: no routing files any more
    expect(run(perms, call('sip:alice@example.com', 'sip:9001234@sbc.example.com'))).toBe('next');

    const jsonDoc = JSON.stringify({ routing: { deny: ['ALL : "^sip:900"'] } }, null, 2);
    expect(perms.reload(jsonDoc).ok).toBe(true);
    expect(run(perms, call('sip:alice@example.com', 'sip:9001234@sbc.example.com'))).toMatchObject({ reject: 'permissions.routing', detail: 'deny rule permissions.routing.deny[0]' });

    const badDoc = ['address:', '  - { group: 1, ip: 10.0.0.1/8 }', 'trusted:', '  - { src_ip: gw.example.com, tag: gw }'].join('\n');
    const r = perms.reload(badDoc);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => [e.path, e.line])).toEqual([
        ['permissions.address[0].ip', 2],
        ['permissions.trusted[0].src_ip', 4],
      ]);
    }
    // still the JSON document's rules
    expect(run(perms, call('sip:alice@example.com', 'sip:9001234@sbc.example.com'))).toMatchObject({ reject: 'permissions.routing' });
    const reloads = await registry.getSingleMetricAsString('sbc_permissions_reloads_total');
    expect(reloads).toContain('result="ok"} 2');
    expect(reloads).toContain('result="failed"} 1');
  });

  it('a document whose policy needs a reply the node did not start with is refused', () => {
    const { perms } = start(ROUTING_FILES);
    const doc = ['groups: { premium: [ops@example.com] }', 'policies:', '  - { name: premium, ruri_pattern: "^sip:900", require_group: premium, status: 403, reason: Premium numbers are barred }'].join('\n');
    const r = perms.reload(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0].message).toMatch(/answers "403 Premium numbers are barred", a reply this node did not start with/);
    // a 403 Forbidden policy needs no new reply: it uses permissions.group
    const plain = perms.reload(doc.replace('status: 403, reason: Premium numbers are barred', 'status: 403'));
    expect(plain.ok).toBe(true);
    expect(run(perms, call('sip:alice@example.com', 'sip:9001234@sbc.example.com'))).toMatchObject({ reject: 'permissions.group', detail: 'policy premium (group premium)' });
  });

  it('parsePermissionsDoc refuses an empty document', () => {
    const r = parsePermissionsDoc('  \n');
    expect(r.ok).toBe(false);
  });
});

describe('rule files on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sbc-permissions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves basename from the config folder and reads .allow/.deny', () => {
    writeFileSync(join(dir, 'register.deny'), 'ALL : "@10\\."\n');
    writeFileSync(join(dir, 'register.allow'), '"^sip:gw-admin@" : ALL\n');
    const config = permissionsConfig('register:\n  basename: register', dir);
    expect(config.register.basename).toBe(join(dir, 'register'));
    const perms = createPermissions({ config, registry: new Registry(), logger });
    const reg = (from: string) => ctx({ method: 'REGISTER', ruri: 'sip:example.com', from, to: from, contacts: ['<sip:x@10.1.1.1>'] });
    expect(run(perms, reg('sip:alice@example.com'))).toMatchObject({ reject: 'permissions.register' });
    expect(run(perms, reg('sip:gw-admin@example.com'))).toBe('next');
  });
});

describe('admin commands', () => {
  async function admin(files = ROUTING_FILES) {
    const { perms } = start(files);
    const reg = new AdminRegistry();
    for (const c of perms.admin) reg.register(c);
    return reg;
  }

  it('registers the kamcmd names', async () => {
    const reg = await admin();
    expect(reg.list().map((c) => c.name)).toEqual(['permissions.address_dump', 'permissions.allow_uri', 'permissions.reload', 'permissions.subnet_dump', 'permissions.trusted_dump']);
  });

  it('dumps addresses, subnets and trusted rows', async () => {
    const reg = await admin();
    expect(await reg.run('permissions.address_dump', {})).toEqual({ ok: true, result: [{ group: 1, ip: '10.30.0.5', port: 5060, proto: 'udp', tag: 'sbc-b' }] });
    expect(await reg.run('permissions.subnet_dump', { group: '1' })).toEqual({ ok: true, result: [{ group: 1, ip: '10.20.0.0/16', mask: 16, port: 0, proto: 'any', tag: 'core' }] });
    expect(await reg.run('permissions.address_dump', { group: 'x' })).toMatchObject({ ok: false, status: 400 });
    const trusted = await reg.run('permissions.trusted_dump', {});
    expect(trusted.ok && (trusted.result as { tag: string }[]).map((r) => r.tag)).toEqual(['carrier-a', 'carrier-range']);
  });

  it('permissions.allow_uri tests a pair as the step would (plain R-URI)', async () => {
    const reg = await admin();
    expect(await reg.run('permissions.allow_uri', { from: 'sip:alice@example.com', uri: 'sip:9001234@gw.example.com:5080;user=phone' })).toEqual({
      ok: true,
      result: { allowed: false, matched: 'deny', rule: '/etc/sbc/rules/routing.deny:2', text: 'ALL : "^sip:900"', compared: { from: 'sip:alice@example.com', uri: 'sip:9001234@gw.example.com' } },
    });
    expect(await reg.run('permissions.allow_uri', { rules: 'uri', from: 'sip:alice@example.com', uri: 'sip:9001@x' })).toMatchObject({ ok: true, result: { allowed: true, matched: 'none' } });
    expect(await reg.run('permissions.allow_uri', { rules: 'dialplan', from: 'a', uri: 'b' })).toMatchObject({ ok: false, status: 400 });
  });

  it('permissions.reload answers 422 with file:line when a file is bad', async () => {
    const files: Record<string, string> = { ...ROUTING_FILES };
    const { perms } = { perms: createPermissions({ config: permissionsConfig(BASE), registry: new Registry(), logger, readFile: memoryFiles(files) }) };
    const reg = new AdminRegistry();
    for (const c of perms.admin) reg.register(c);
    expect(await reg.run('permissions.reload', {})).toMatchObject({ ok: true, result: { routing: { allow: 0, deny: 1 } } });
    files['/etc/sbc/rules/routing.deny'] = 'nonsense\n';
    const r = await reg.run('permissions.reload', {});
    expect(r).toMatchObject({ ok: false, status: 422 });
    expect(!r.ok && r.error).toContain('/etc/sbc/rules/routing.deny:1');
  });
});
