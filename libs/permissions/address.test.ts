import { describe, expect, it } from 'vitest';
import { AddressTable, type AddressEntryInput } from './address.ts';
import { TrustedTable, type TrustedEntryInput } from './trusted.ts';
import { sipRequest, tcp, udp } from './test-support.ts';

const row = (group: number, ip: string, extra: Partial<AddressEntryInput> = {}): AddressEntryInput => ({ group, ip, port: 0, proto: 'any', ...extra });

describe('address groups (allow_address / allow_source_address)', () => {
  const table = new AddressTable([
    row(1, '198.51.100.10', { tag: 'carrier-a' }),
    row(1, '198.51.100.0/24', { tag: 'carrier-a-range' }),
    row(1, '2001:db8:100::/48', { tag: 'carrier-v6' }),
    row(2, '203.0.113.5', { port: 5080, proto: 'tcp', tag: 'pbx-tcp' }),
    row(2, '203.0.113.5', { port: 5060, proto: 'udp', tag: 'pbx-udp' }),
    row(3, '10.0.0.0/8'),
    row(3, '10.1.0.0/16', { tag: 'more-specific' }),
  ]);

  it.each([
    // group, ip, port, proto, expected
    [1, '198.51.100.10', 5060, 'udp', true],
    [1, '198.51.100.254', 1234, 'tcp', true],
    [1, '198.51.101.1', 5060, 'udp', false],
    [1, '2001:db8:100:ffff::1', 5060, 'udp', true],
    [1, '2001:db8:101::1', 5060, 'udp', false],
    [1, '::ffff:198.51.100.10', 5060, 'udp', true],
    [2, '203.0.113.5', 5080, 'tcp', true],
    [2, '203.0.113.5', 5080, 'udp', false],
    [2, '203.0.113.5', 5060, 'udp', true],
    [2, '203.0.113.5', 5061, 'udp', false],
    [2, '198.51.100.10', 5060, 'udp', false],
    [4, '198.51.100.10', 5060, 'udp', false],
  ] as const)('group %d, %s:%d/%s -> %s', (group, ip, port, proto, ok) => {
    expect(table.allowSourceAddress(group, { address: ip, port, proto })).toBe(ok);
  });

  it('allow_address without a transport ignores the entries\' proto; a name never matches', () => {
    expect(table.allowAddress(2, '203.0.113.5', 5080)).toBe(true);
    expect(table.allowAddress(2, '203.0.113.5', 5080, 'udp')).toBe(false);
    expect(table.allowAddress(1, 'carrier.example.com', 5060)).toBe(false);
  });

  it('the exact address wins over subnets, and the longest prefix over shorter ones', () => {
    expect(table.match(1, '198.51.100.10', 5060, 'udp')?.tag).toBe('carrier-a');
    expect(table.match(1, '198.51.100.11', 5060, 'udp')?.tag).toBe('carrier-a-range');
    expect(table.match(3, '10.1.2.3', 5060, 'udp')?.tag).toBe('more-specific');
    expect(table.match(3, '10.2.2.3', 5060, 'udp')?.tag).toBeUndefined();
  });

  it('finds the lowest group holding a source (allow_source_address_group)', () => {
    expect(table.groupOf(udp('198.51.100.10'))).toBe(1);
    expect(table.groupOf(udp('10.9.9.9'))).toBe(3);
    expect(table.groupOf(udp('192.0.2.1'))).toBeUndefined();
  });

  it('dumps exact addresses and subnets apart, as Kamailio does', () => {
    expect(table.dump('address', 2)).toEqual([
      { group: 2, ip: '203.0.113.5', port: 5080, proto: 'tcp', tag: 'pbx-tcp' },
      { group: 2, ip: '203.0.113.5', port: 5060, proto: 'udp', tag: 'pbx-udp' },
    ]);
    expect(table.dump('subnet').map((r) => `${r.group} ${r.ip} ${r.mask}`)).toEqual(['1 198.51.100.0/24 24', '1 2001:db8:100::/48 48', '3 10.0.0.0/8 8', '3 10.1.0.0/16 16']);
  });
});

describe('trusted table (allow_trusted)', () => {
  const trow = (src_ip: string, tag: string, extra: Partial<TrustedEntryInput> = {}): TrustedEntryInput => ({ src_ip, proto: 'any', tag, priority: 0, ...extra });
  const invite = (from: string, ruri = 'sip:+4930123456@sbc.example.com') => sipRequest({ method: 'INVITE', ruri, from });

  it('matches source IP and transport, and returns the tag', () => {
    const t = new TrustedTable([trow('192.0.2.10', 'gw1', { proto: 'udp' }), trow('2001:db8::10', 'gw6')]);
    expect(t.allowTrusted(udp('192.0.2.10'), invite('sip:gw@192.0.2.10'))).toBe('gw1');
    expect(t.allowTrusted(tcp('192.0.2.10'), invite('sip:gw@192.0.2.10'))).toBeUndefined();
    expect(t.allowTrusted(udp('2001:db8:0::10'), invite('sip:gw@example.com'))).toBe('gw6');
    expect(t.allowTrusted(udp('192.0.2.11'), invite('sip:gw@192.0.2.10'))).toBeUndefined();
  });

  it('with a From pattern, only matching From URIs are trusted (case-insensitive, like Kamailio)', () => {
    const t = new TrustedTable([trow('192.0.2.20', 'pbx', { from_pattern: '^sip:[0-9]+@pbx\\.example\\.com$' })]);
    expect(t.allowTrusted(udp('192.0.2.20'), invite('sip:2001@PBX.example.com'))).toBe('pbx');
    expect(t.allowTrusted(udp('192.0.2.20'), invite('sip:alice@pbx.example.com'))).toBeUndefined();
  });

  it('with an R-URI pattern, only matching targets are trusted', () => {
    const t = new TrustedTable([trow('192.0.2.20', 'pbx-local', { ruri_pattern: '^sip:\\+49' })]);
    expect(t.allowTrusted(udp('192.0.2.20'), invite('sip:1@pbx', 'sip:+4930123@sbc.example.com'))).toBe('pbx-local');
    expect(t.allowTrusted(udp('192.0.2.20'), invite('sip:1@pbx', 'sip:+4430123@sbc.example.com'))).toBeUndefined();
  });

  it('the highest priority row wins, between exact addresses and subnets alike', () => {
    const t = new TrustedTable([
      trow('192.0.2.0/24', 'range-low', { priority: 1 }),
      trow('192.0.2.30', 'exact-mid', { priority: 5 }),
      trow('192.0.2.0/27', 'range-high', { priority: 9, from_pattern: 'vip' }),
    ]);
    expect(t.allowTrusted(udp('192.0.2.30'), invite('sip:vip@example.com'))).toBe('range-high');
    expect(t.allowTrusted(udp('192.0.2.30'), invite('sip:bob@example.com'))).toBe('exact-mid');
    expect(t.allowTrusted(udp('192.0.2.31'), invite('sip:bob@example.com'))).toBe('range-low');
    expect(t.allowTrusted(udp('192.0.2.40'), invite('sip:vip@example.com'))).toBe('range-low');
    expect(t.dump().map((r) => r.tag)).toEqual(['range-high', 'exact-mid', 'range-low']);
  });
});
