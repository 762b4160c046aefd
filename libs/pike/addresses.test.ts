import { describe, expect, it } from 'vitest';
import { AddressSet, parseAddressOrCidr, partitionAddresses } from './addresses.ts';

describe('trusted / exempt addresses', () => {
  it('parses IPs and CIDRs and explains the rest', () => {
    expect(parseAddressOrCidr('192.0.2.1')).toEqual({ kind: 'ip', address: '192.0.2.1', family: 'ipv4' });
    expect(parseAddressOrCidr('[2001:db8::1]')).toEqual({ kind: 'ip', address: '2001:db8::1', family: 'ipv6' });
    expect(parseAddressOrCidr('2001:DB8::/32')).toEqual({ kind: 'subnet', address: '2001:DB8::', prefix: 32, family: 'ipv6' });
    expect(parseAddressOrCidr('10.0.0.0/33')).toMatch(/prefix length must be 0..32/);
    expect(parseAddressOrCidr('gw.example.net')).toMatch(/not an IP address or CIDR/);
    expect(partitionAddresses(['192.0.2.1', 'gw', '10.0.0.0/8'])).toEqual({ ok: ['192.0.2.1', '10.0.0.0/8'], bad: ['gw'] });
  });

  it('matches exact addresses, subnets and IPv4-mapped IPv6 sources', () => {
    const s = new AddressSet(['192.0.2.1', '10.0.0.0/8', '2001:db8::/32', '2001:DB8:1::5']);
    for (const a of ['192.0.2.1', '10.200.0.1', '::ffff:10.1.1.1', '::FFFF:192.0.2.1', '2001:db8:ffff::1', '2001:db8:1::5']) expect(s.has(a), a).toBe(true);
    for (const a of ['192.0.2.2', '11.0.0.1', '2001:db9::1', '::ffff:192.0.2.2']) expect(s.has(a), a).toBe(false);
  });

  it('refuses a bad entry', () => {
    expect(() => new AddressSet(['not-an-ip'])).toThrow(/not an IP address/);
  });
});
