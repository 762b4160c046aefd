import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { formatConfigErrors, loadConfig } from '#libs/config';
import { createRejectionCatalog } from '#libs/rejections';
import { contextOf, request, sip, SIPCLI_INVITE, SQLI_REGISTER, SVMAP_OPTIONS, SVWAR_REGISTER } from './fixtures.ts';
import { createSecfilter, SECFILTER_REJECTIONS, secfilterSection, type SecfilterConfig } from './index.ts';

function config(yaml = ''): SecfilterConfig {
  const res = loadConfig({ sections: [secfilterSection], env: {}, text: yaml === '' ? '' : `secfilter:\n${yaml}`, file: 'sf.yaml' });
  if (!res.ok) throw new Error(formatConfigErrors(res.errors));
  return res.config.secfilter;
}

function feature(yaml = '') {
  const registry = new Registry();
  const f = createSecfilter({ config: config(yaml), registry, logger: pino({ level: 'silent' }) });
  const run = (msg = request(), address = '192.0.2.101') => f.step.run(contextOf(msg, address));
  return { ...f, registry, run };
}

describe('secfilter config', () => {
  it('defaults: enabled, scanner UAs dropped, sqli on, Asterisk not listed', () => {
    const c = config();
    expect(c.enabled).toBe(true);
    expect(c.ua.blacklist).toContain('friendly-scanner');
    expect(c.ua.blacklist.map((u) => u.toLowerCase())).not.toContain('asterisk pbx');
    expect(c.ua.action).toBe('drop');
    expect(c.ip.action).toBe('reply');
    expect(c.sqli).toEqual({ enabled: true, action: 'drop' });
    expect(c.dst.match).toBe('exact');
  });

  it('refuses bad entries with file:line and the fix', () => {
    const res = loadConfig({
      sections: [secfilterSection],
      env: {},
      text: 'secfilter:\n  ip:\n    blacklist: ["10.0.0.1/8", "192.168.1."]\n  domain:\n    whitelist: ["*.example.com"]\n  ua:\n    action: block\n',
      file: 'sf.yaml',
    });
    expect(res.ok).toBe(false);
    const text = res.ok ? '' : formatConfigErrors(res.errors);
    expect(text).toMatch(/sf\.yaml:3.*secfilter\.ip\.blacklist\[0\].*10\.0\.0\.0\/8/);
    expect(text).toMatch(/secfilter\.ip\.blacklist\[1\].*192\.168\.1\.0\/24/);
    expect(text).toMatch(/secfilter\.domain\.whitelist\[0\].*without "\*\."/);
    expect(text).toMatch(/secfilter\.ua\.action/);
  });

  it('takes lists from SBC_SECFILTER_* variables', () => {
    const res = loadConfig({ sections: [secfilterSection], env: { SBC_SECFILTER_IP_BLACKLIST: '198.51.100.0/24,203.0.113.7', SBC_SECFILTER_UA_ACTION: 'reply' } });
    if (!res.ok) throw new Error(formatConfigErrors(res.errors));
    expect(res.config.secfilter.ip.blacklist).toEqual(['198.51.100.0/24', '203.0.113.7']);
    expect(res.config.secfilter.ua.action).toBe('reply');
  });

  it('defines every rejection code the step can return', () => {
    const catalog = createRejectionCatalog(SECFILTER_REJECTIONS);
    expect(catalog.get('secfilter.blacklisted_ua_drop')?.status).toBe('drop');
    expect(catalog.get('secfilter.blacklisted_ip')).toMatchObject({ status: 403, reason: 'Forbidden' });
    expect(new Set(catalog.all().map((r) => r.label))).toEqual(new Set(['secfilter_ua', 'secfilter_ip', 'secfilter_domain', 'secfilter_user', 'secfilter_dst', 'secfilter_sqli']));
  });
});

describe('secfilter step: user agents', () => {
  it('drops scanners silently with the default list', () => {
    const f = feature();
    expect(f.step.name).toBe('secfilter');
    expect(f.run(sip(SVMAP_OPTIONS), '198.51.100.66')).toEqual({ reject: 'secfilter.blacklisted_ua_drop', detail: 'User-Agent "friendly-scanner"' });
    expect(f.run(sip(SVWAR_REGISTER), '198.51.100.66')).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
    expect(f.run(sip(SIPCLI_INVITE), '203.0.113.200')).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
    for (const ua of ['VaxSIPUserAgent/3.1', 'sundayddr', 'pplsip', 'iWar', 'sip-scan', 'SIPVicious 0.3.4', 'SIPScan v2']) {
      expect(f.run(request({ ua })), ua).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
    }
  });

  it('lets real equipment through, Asterisk included', () => {
    const f = feature();
    for (const ua of ['Asterisk PBX 18.9.0', 'FreeSWITCH-mod_sofia/1.10.7-release~64bit', 'Yealink SIP-T46S 66.86.0.15', 'SipClient 2.1', 'MicroSIP/3.21.3']) {
      expect(f.run(request({ ua })), ua).toBe('next');
    }
    expect(f.run(request({ ua: null }))).toBe('next');
  });

  it('prefix match by default, contains on request; answers 403 when action is reply', () => {
    const prefix = feature('  ua:\n    blacklist: [badua]\n    action: reply\n');
    expect(prefix.run(request({ ua: 'BadUA/1.0' }))).toMatchObject({ reject: 'secfilter.blacklisted_ua' });
    expect(prefix.run(request({ ua: 'Softphone (badua inside)' }))).toBe('next');
    const contains = feature('  ua:\n    blacklist: [badua]\n    match: contains\n');
    expect(contains.run(request({ ua: 'Softphone (badua inside)' }))).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
  });

  it('a whitelisted agent skips the UA blacklist only', () => {
    const f = feature('  ua:\n    whitelist: ["friendly-scanner-lab"]\n  ip:\n    blacklist: ["203.0.113.0/24"]\n');
    expect(f.run(request({ ua: 'friendly-scanner-lab 1.0' }))).toBe('next');
    expect(f.run(request({ ua: 'friendly-scanner' }))).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
    expect(f.run(request({ ua: 'friendly-scanner-lab 1.0' }), '203.0.113.5')).toMatchObject({ reject: 'secfilter.blacklisted_ip' });
  });
});

describe('secfilter step: source addresses', () => {
  const f = feature('  ip:\n    blacklist: ["198.51.100.0/24", "203.0.113.7", "2001:db8:bad::/48"]\n    whitelist: ["198.51.100.10"]\n');

  it('blocks exact addresses and CIDR prefixes, IPv4 and IPv6', () => {
    expect(f.run(request(), '198.51.100.77')).toEqual({ reject: 'secfilter.blacklisted_ip', detail: 'source 198.51.100.77' });
    expect(f.run(request(), '203.0.113.7')).toMatchObject({ reject: 'secfilter.blacklisted_ip' });
    expect(f.run(request(), '::ffff:203.0.113.7')).toMatchObject({ reject: 'secfilter.blacklisted_ip' });
    expect(f.run(request(), '2001:db8:bad:7::1')).toMatchObject({ reject: 'secfilter.blacklisted_ip' });
    expect(f.run(request(), '203.0.113.8')).toBe('next');
    expect(f.run(request(), '2001:db8:cafe::1')).toBe('next');
  });

  it('a whitelisted address inside a blacklisted prefix passes', () => {
    expect(f.run(request(), '198.51.100.10')).toBe('next');
  });

  it('drops instead when the action says so', () => {
    const d = feature('  ip:\n    blacklist: ["198.51.100.0/24"]\n    action: drop\n');
    expect(d.run(request(), '198.51.100.1')).toMatchObject({ reject: 'secfilter.blacklisted_ip_drop' });
  });
});

describe('secfilter step: domains', () => {
  const f = feature('  domain:\n    blacklist: ["evil.example", "192.0.2.66"]\n    whitelist: ["partner.evil.example"]\n');

  it('checks From, To and Contact hosts, subdomains included, on label boundaries', () => {
    expect(f.run(request({ from: '<sip:alice@evil.example>' }))).toEqual({ reject: 'secfilter.blacklisted_domain', detail: 'From domain "evil.example"' });
    expect(f.run(request({ to: '<sip:bob@SIP.Evil.Example>' }))).toMatchObject({ reject: 'secfilter.blacklisted_domain', detail: 'To domain "SIP.Evil.Example"' });
    expect(f.run(request({ contact: '<sip:alice@192.0.2.66:5060>' }))).toMatchObject({ detail: 'Contact domain "192.0.2.66"' });
    expect(f.run(request({ from: '<sip:alice@notevil.example>' }))).toBe('next');
    expect(f.run(request({ contact: '<sip:alice@192.0.2.166>' }))).toBe('next');
  });

  it('a whitelisted domain skips the domain blacklist', () => {
    expect(f.run(request({ from: '<sip:alice@partner.evil.example>' }))).toBe('next');
    expect(f.run(request({ from: '<sip:alice@gw.partner.evil.example>' }))).toBe('next');
  });
});

describe('secfilter step: users', () => {
  const f = feature('  user:\n    blacklist: ["sipvicious", "fraud"]\n    whitelist: ["fraud-desk"]\n');

  it('checks From, To and Contact user parts (prefix, case-insensitive, %-decoded)', () => {
    expect(f.run(request({ from: '<sip:SIPVicious123@example.com>' }))).toEqual({ reject: 'secfilter.blacklisted_user', detail: 'From user "SIPVicious123"' });
    expect(f.run(request({ to: '<sip:fraud@sbc.example.net>' }))).toMatchObject({ detail: 'To user "fraud"' });
    expect(f.run(request({ contact: '<sip:%66raud@192.0.2.101>' }))).toMatchObject({ detail: 'Contact user "%66raud"' });
    expect(f.run(request({ from: '<sip:alice@example.com>' }))).toBe('next');
  });

  it('holds From/To display names against the blacklist', () => {
    expect(f.run(sip(SVMAP_OPTIONS.replace('User-Agent: friendly-scanner', 'User-Agent: Softphone')))).toMatchObject({
      reject: 'secfilter.blacklisted_user',
      detail: 'From display name "sipvicious"',
    });
  });

  it('a whitelisted user part skips the user blacklist for that header, display name included', () => {
    expect(f.run(request({ from: '"fraud" <sip:fraud-desk@example.com>' }))).toBe('next');
    // the whitelist is per header: To is judged on its own
    expect(f.run(request({ from: '<sip:fraud-desk@example.com>', to: '<sip:fraudster@example.com>' }))).toMatchObject({ detail: 'To user "fraudster"' });
  });

  it('display names never whitelist', () => {
    expect(f.run(request({ from: '"fraud-desk" <sip:fraud@example.com>' }))).toMatchObject({ reject: 'secfilter.blacklisted_user' });
  });

  it('exact mode matches whole users only', () => {
    const e = feature('  user:\n    blacklist: ["100"]\n    match: exact\n');
    expect(e.run(request({ from: '<sip:100@example.com>' }))).toMatchObject({ reject: 'secfilter.blacklisted_user' });
    expect(e.run(request({ from: '<sip:1001@example.com>' }))).toBe('next');
  });
});

describe('secfilter step: destinations', () => {
  it('exact by default, separators and user parameters ignored', () => {
    const f = feature('  dst:\n    blacklist: ["+44 20 7946 0000"]\n');
    expect(f.run(request({ ruri: 'sip:+442079460000@sbc.example.net' }))).toEqual({ reject: 'secfilter.blacklisted_dst', detail: 'destination "+442079460000"' });
    expect(f.run(request({ ruri: 'sip:+44-20-7946-0000;npdi@sbc.example.net;user=phone' }))).toMatchObject({ reject: 'secfilter.blacklisted_dst' });
    expect(f.run(request({ ruri: 'sip:+4420794600001@sbc.example.net' }))).toBe('next');
  });

  it('prefix mode blocks whole ranges; the whitelist carves exceptions', () => {
    const f = feature('  dst:\n    blacklist: ["900", "0900"]\n    whitelist: ["0900123"]\n    match: prefix\n');
    expect(f.run(sip(SIPCLI_INVITE.replace('User-Agent: sipcli/v1.8', 'User-Agent: X-Lite')), '203.0.113.200')).toMatchObject({ reject: 'secfilter.blacklisted_dst' });
    expect(f.run(request({ ruri: 'sip:0900-555-1234@sbc.example.net' }))).toMatchObject({ reject: 'secfilter.blacklisted_dst' });
    expect(f.run(request({ ruri: 'sip:0900123456@sbc.example.net' }))).toBe('next');
    expect(f.run(request({ ruri: 'sip:0800555@sbc.example.net' }))).toBe('next');
  });

  it('applies to new calls only: not to in-dialog requests or other methods', () => {
    const f = feature('  dst:\n    blacklist: ["0900"]\n    match: prefix\n');
    expect(f.run(request({ ruri: 'sip:0900111@192.0.2.50', toTag: 'x1' }))).toBe('next');
    expect(f.run(request({ ruri: 'sip:0900111@192.0.2.50', method: 'MESSAGE' }))).toBe('next');
    expect(f.run(request({ ruri: 'sip:0900111@192.0.2.50' }))).toMatchObject({ reject: 'secfilter.blacklisted_dst' });
  });
});

describe('secfilter step: SQL injection', () => {
  it('drops an injection in the From user and display name (scanner capture)', () => {
    const f = feature();
    const v = f.run(sip(SQLI_REGISTER), '198.51.100.9');
    expect(v).toMatchObject({ reject: 'secfilter.sqli_drop' });
    expect((v as { detail: string }).detail).toMatch(/^From user ".*": quote$/);
  });

  it('checks display names leniently: O\'Brien passes, a quote break does not', () => {
    const f = feature('  sqli:\n    action: reply\n');
    expect(f.run(request({ from: '"Conor O\'Brien" <sip:cobrien@example.com>' }))).toBe('next');
    expect(f.run(request({ from: '"x\' or \'1\'=\'1" <sip:alice@example.com>' }))).toEqual({
      reject: 'secfilter.sqli',
      detail: 'From display name "x\' or \'1\'=\'1": quote_break',
    });
  });

  it('checks the Request-URI user, Contact users, unparsable URIs and the User-Agent', () => {
    const f = feature();
    expect(f.run(request({ ruri: "sip:1'or'1'='1@sbc.example.net" }))).toMatchObject({ detail: expect.stringMatching(/^Request-URI user/) });
    expect(f.run(request({ contact: '<sip:x%27--@192.0.2.101>' }))).toMatchObject({ detail: expect.stringMatching(/^Contact user/) });
    expect(f.run(request({ from: '<sip:a"b@example.com>' }))).toMatchObject({ reject: 'secfilter.sqli_drop', detail: expect.stringMatching(/^From URI/) });
    expect(f.run(request({ ua: "Softphone' UNION SELECT ha1 FROM subscriber--" }))).toMatchObject({ detail: expect.stringMatching(/^User-Agent/) });
  });

  it('can be turned off', () => {
    const f = feature('  sqli:\n    enabled: false\n');
    expect(f.run(sip(SQLI_REGISTER), '198.51.100.9')).toBe('next');
  });
});

describe('secfilter step: order, switch-off, metrics, reload', () => {
  it('ip is judged before ua, ua before sqli', () => {
    const f = feature('  ip:\n    blacklist: ["198.51.100.0/24"]\n');
    expect(f.run(sip(SQLI_REGISTER.replace('Z 3.15.40006 rv2.8.20', 'friendly-scanner')), '198.51.100.9')).toMatchObject({ reject: 'secfilter.blacklisted_ip' });
    expect(f.run(sip(SQLI_REGISTER.replace('Z 3.15.40006 rv2.8.20', 'friendly-scanner')), '192.0.2.1')).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
  });

  it('enabled: false lets everything through', () => {
    const f = feature('  enabled: false\n');
    expect(f.run(sip(SVMAP_OPTIONS), '198.51.100.66')).toBe('next');
    expect(f.run(sip(SQLI_REGISTER), '198.51.100.9')).toBe('next');
  });

  it('counts blocks and whitelist hits per check', async () => {
    const f = feature('  ip:\n    whitelist: ["192.0.2.0/24"]\n');
    f.run(sip(SVMAP_OPTIONS), '198.51.100.66');
    f.run(sip(SVWAR_REGISTER), '198.51.100.66');
    f.run(sip(SQLI_REGISTER), '192.0.2.9');
    const text = await f.registry.metrics();
    expect(text).toMatch(/sbc_secfilter_blocked_total\{check="ua"\} 2/);
    expect(text).toMatch(/sbc_secfilter_blocked_total\{check="sqli"\} 1/);
    expect(text).toMatch(/sbc_secfilter_blocked_total\{check="dst"\} 0/);
    expect(text).toMatch(/sbc_secfilter_whitelisted_total\{check="ip"\} 1/);
  });

  it('reload swaps the lists', () => {
    const f = feature();
    expect(f.run(request({ ua: 'MyDialer 1.0' }))).toBe('next');
    f.reload(config('  ua:\n    blacklist: [mydialer]\n'));
    expect(f.run(request({ ua: 'MyDialer 1.0' }))).toMatchObject({ reject: 'secfilter.blacklisted_ua_drop' });
    expect(f.run(sip(SVMAP_OPTIONS))).toBe('next');
  });
});
