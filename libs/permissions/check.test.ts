import { describe, expect, it } from 'vitest';
import { checkRequest } from './check.ts';
import { policyRejections, replyCodes } from './rejections.ts';
import { compileTables, type Tables } from './tables.ts';
import { permissionsConfig, sipRequest, tcp, udp, type RequestSpec } from './test-support.ts';

const CONFIG = `
address:
  - { group: 1, ip: 10.20.0.0/16, tag: core }
  - { group: 2, ip: 198.51.100.0/24, tag: customers }
  - { group: 2, ip: "2001:db8:c::/48", tag: customers-v6 }
trusted_group: 1
source_group: 2
trusted:
  - { src_ip: 192.0.2.10, proto: udp, tag: carrier-a }
routing:
  allow:
    - '"^sip:ops@example\\.com" : "^sip:900"'
  deny:
    - 'ALL : "^sip:900", "^sip:9001@gw\\.example\\.com$"'
register:
  deny:
    - 'ALL : "@10\\.", "@192\\.0\\.2\\.10$"'
uri:
  deny:
    - 'ALL : "^sip:900"'
groups:
  international: ["sip:alice@example.com", "bob@example.com", "carol"]
policies:
  - name: international
    ruri_pattern: '^sip:00[1-9][0-9]+@'
    require_group: international
    reason: No permission for international calls
`;

function tables(yaml = CONFIG): Tables {
  const config = permissionsConfig(yaml);
  const r = compileTables(config, { replyCodes: replyCodes(policyRejections(config.policies)) });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.tables;
}

const t = tables();
const customer = udp('198.51.100.7', 5062);

function verdict(spec: RequestSpec, source = customer): string {
  const msg = sipRequest(spec);
  const d = checkRequest(t, msg, source, msg.toTag() !== undefined);
  return d === undefined ? 'pass' : `${d.rule} ${d.code}`;
}

describe('allow_routing (out-of-dialog requests)', () => {
  it.each([
    ['customer calls a normal number', 'sip:alice@example.com', 'sip:+4930123456@sbc.example.com', 'pass'],
    ['customer calls a premium number', 'sip:alice@example.com', 'sip:9005551234@sbc.example.com', 'routing permissions.routing'],
    ['the ops account may (allow rule first)', 'sip:ops@example.com', 'sip:9005551234@sbc.example.com', 'pass'],
    // the rule compares the plain R-URI: port and parameters are stripped, so "$" still matches
    ['plain R-URI', 'sip:alice@example.com', 'sip:9001@gw.example.com:5080;user=phone', 'routing permissions.routing'],
  ])('%s', (_name, from, ruri, expected) => {
    expect(verdict({ method: 'INVITE', ruri, from })).toBe(expected);
  });

  it('names the matching rule in the detail', () => {
    const d = checkRequest(t, sipRequest({ method: 'MESSAGE', ruri: 'sip:9005551234@sbc.example.com', from: 'sip:alice@example.com' }), customer, false);
    expect(d?.detail).toBe('deny rule permissions.routing.deny[0]');
  });
});

describe('sources: trusted group, trusted table, source_group', () => {
  const premium = { method: 'INVITE', ruri: 'sip:9005551234@sbc.example.com', from: 'sip:gw@carrier.example' };

  it('a source in the trusted group skips every check', () => {
    expect(verdict(premium, udp('10.20.4.4'))).toBe('pass');
    expect(verdict({ ...premium, ruri: 'sip:0044207123@sbc.example.com' }, tcp('10.20.4.4'))).toBe('pass');
  });

  it('a trusted peer skips every check, on its transport only', () => {
    expect(verdict(premium, udp('192.0.2.10'))).toBe('pass');
    expect(verdict(premium, tcp('192.0.2.10'))).toBe('address permissions.address');
  });

  it('a source outside source_group is refused', () => {
    expect(verdict({ method: 'OPTIONS', ruri: 'sip:sbc.example.com', from: 'sip:scan@evil.example' }, udp('203.0.113.99'))).toBe('address permissions.address');
    expect(verdict({ method: 'OPTIONS', ruri: 'sip:sbc.example.com', from: 'sip:a@example.com' }, udp('2001:db8:c:1::5'))).toBe('pass');
  });
});

describe('allow_register (REGISTER: To vs each Contact)', () => {
  const reg = (contacts: string[]) => ({ method: 'REGISTER', ruri: 'sip:example.com', from: 'sip:alice@example.com', to: 'sip:alice@example.com', contacts });

  it.each([
    ['a public contact', ['<sip:alice@198.51.100.7:5062;transport=udp>;expires=3600'], 'pass'],
    ['a contact inside the core network', ['<sip:alice@10.20.3.4:5060>'], 'register permissions.register'],
    ['the carrier gateway as contact', ['<sip:alice@192.0.2.10>'], 'register permissions.register'],
    ['one bad contact among good ones', ['<sip:alice@198.51.100.7:5062>', '<sip:alice@10.20.9.9>;q=0.1'], 'register permissions.register'],
    ['no Contact (a fetch of bindings)', [], 'pass'],
    ['Contact: * (remove all)', ['*'], 'pass'],
  ])('%s', (_name, contacts, expected) => {
    expect(verdict(reg(contacts))).toBe(expected);
  });

  it('group policies do not judge a REGISTER\'s R-URI', () => {
    expect(verdict({ ...reg([]), ruri: 'sip:0044@example.com', from: 'sip:dave@example.com' })).toBe('pass');
  });
});

describe('allow_uri (REFER: From vs Refer-To)', () => {
  it('checks the transfer target out of dialog and in dialog', () => {
    const refer = { method: 'REFER', ruri: 'sip:bob@198.51.100.8', from: 'sip:alice@example.com', referTo: '<sip:9005551234@sbc.example.com>' };
    expect(verdict(refer)).toBe('uri permissions.uri');
    expect(verdict({ ...refer, toTag: 'a83f1' })).toBe('uri permissions.uri');
    expect(verdict({ ...refer, toTag: 'a83f1', referTo: '<sip:carol@example.com?Replaces=1234%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>' })).toBe('pass');
  });

  it('a transfer to an international number needs the group, like the call would', () => {
    const refer = { method: 'REFER', ruri: 'sip:bob@198.51.100.8', toTag: 'x1', referTo: 'sip:0044207123456@sbc.example.com' };
    expect(verdict({ ...refer, from: 'sip:dave@example.com' })).toBe('group permissions.policy.international');
    expect(verdict({ ...refer, from: 'sip:alice@example.com' })).toBe('pass');
  });
});

describe('group policy: only "international" members may dial 00...', () => {
  const call = (from: string, ruri = 'sip:0044207123456@sbc.example.com') => verdict({ method: 'INVITE', ruri, from });

  it.each([
    ['member by URI', 'sip:alice@example.com', 'pass'],
    ['member, domain in other case', 'sip:alice@EXAMPLE.COM', 'pass'],
    ['member by user@domain', 'sip:bob@example.com', 'pass'],
    ['member in any domain', 'sip:carol@other.example', 'pass'],
    ['right user, wrong domain', 'sip:bob@other.example', 'group permissions.policy.international'],
    ['non-member', 'sip:dave@example.com', 'group permissions.policy.international'],
  ])('%s', (_name, from, expected) => {
    expect(call(from)).toBe(expected);
  });

  it('national numbers are not concerned', () => {
    expect(call('sip:dave@example.com', 'sip:0301234567@sbc.example.com')).toBe('pass');
  });
});

describe('what is never checked', () => {
  it.each(['ACK', 'CANCEL'])('%s passes (it follows a checked INVITE)', (method) => {
    expect(verdict({ method, ruri: 'sip:9005551234@sbc.example.com', from: 'sip:dave@example.com' }, udp('203.0.113.99'))).toBe('pass');
  });

  it('in-dialog requests pass, whatever their source', () => {
    expect(verdict({ method: 'BYE', ruri: 'sip:9005551234@sbc.example.com', from: 'sip:dave@example.com', toTag: '77ab' }, udp('203.0.113.99'))).toBe('pass');
  });
});
