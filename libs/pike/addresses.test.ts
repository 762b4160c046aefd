import { describe, expect, it } from 'vitest';
import { addressProblem, exemptMatcher, partitionAddresses } from './addresses.ts';

describe('trusted / exempt addresses', () => {
  it('reads IPs and CIDRs and explains the rest', () => {
    for (const ok of ['192.0.2.1', '[2001:db8::1]', '2001:DB8::/32']) expect(addressProblem(ok), ok).toBeUndefined();
    expect(addressProblem('10.0.0.0/33')).toMatch(/prefix length .* must be 0..32/);
    expect(addressProblem('gw.example.net')).toMatch(/not an IPv4 or IPv6 address/);
    expect(partitionAddresses(['192.0.2.1', 'gw', '10.0.0.0/8'])).toEqual({ ok: ['192.0.2.1', '10.0.0.0/8'], bad: ['gw'] });
  });

  it('matches exact addresses, subnets and IPv4-mapped IPv6 sources', () => {
    const s = exemptMatcher(['192.0.2.1', '10.0.0.0/8', '2001:db8::/32', '2001:DB8:1::5']);
    for (const a of ['192.0.2.1', '10.200.0.1', '::ffff:10.1.1.1', '::FFFF:192.0.2.1', '2001:db8:ffff::1', '2001:db8:1::5']) expect(s.has(a), a).toBe(true);
    for (const a of ['192.0.2.2', '11.0.0.1', '2001:db9::1', '::ffff:192.0.2.2']) expect(s.has(a), a).toBe(false);
  });

  it('refuses a bad entry', () => {
    expect(() => exemptMatcher(['not-an-ip'])).toThrow(/not an IPv4 or IPv6 address/);
  });
});
