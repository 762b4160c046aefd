import { describe, expect, it } from 'vitest';
import { formatCidr, formatIp, IpMatcher, parseCidr, parseIp, type Cidr } from './ip.ts';

const cidrs = (...xs: string[]) => xs.map((x) => parseCidr(x) as Cidr);

describe('ip parsing', () => {
  it('reads IPv4, IPv6, bracketed and IPv4-mapped addresses', () => {
    expect(parseIp('192.0.2.7')).toEqual({ family: 4, words: [0xc0000207] });
    expect(parseIp('[2001:db8::1]')).toEqual({ family: 6, words: [0x20010db8, 0, 0, 1] });
    expect(parseIp('::ffff:192.0.2.7')).toEqual({ family: 4, words: [0xc0000207] });
    expect(parseIp('::1')).toEqual({ family: 6, words: [0, 0, 0, 1] });
    expect(parseIp('64:ff9b::192.0.2.33')?.words).toEqual([0x0064ff9b, 0, 0, 0xc0000221]);
  });

  it('refuses malformed addresses', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', 'a.b.c.d', '1:2:3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::1', 'fe80::1%eth0', '::1.2.3']) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('formats canonically (RFC 5952)', () => {
    expect(formatIp(parseIp('2001:0DB8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('2001:db8:0:1:0:0:0:1')!)).toBe('2001:db8:0:1::1');
    expect(formatIp(parseIp('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp(parseIp('::')!)).toBe('::');
    expect(formatCidr(parseCidr('198.51.100.0/24') as Cidr)).toBe('198.51.100.0/24');
    expect(formatCidr(parseCidr('203.0.113.7/32') as Cidr)).toBe('203.0.113.7');
  });

  it('explains CIDR mistakes', () => {
    expect(parseCidr('10.0.0.1/8')).toMatch(/host bits set.*"10\.0\.0\.0\/8"/);
    expect(parseCidr('192.168.1.')).toMatch(/Kamailio-style.*"192\.168\.1\.0\/24"/);
    expect(parseCidr('10.0.0.0/33')).toMatch(/0\.\.32/);
    expect(parseCidr('example.com')).toMatch(/not an IP address/);
  });
});

describe('IpMatcher', () => {
  it('matches exact addresses and CIDR prefixes of both families', () => {
    const m = new IpMatcher(cidrs('203.0.113.7', '198.51.100.0/24', '10.0.0.0/8', '2001:db8:bad::/48', '::ffff:192.0.2.0/120'));
    expect(m.matches('203.0.113.7')).toBe(true);
    expect(m.matches('203.0.113.8')).toBe(false);
    expect(m.matches('198.51.100.255')).toBe(true);
    expect(m.matches('198.51.101.1')).toBe(false);
    expect(m.matches('10.200.3.4')).toBe(true);
    expect(m.matches('::ffff:10.1.1.1')).toBe(true);
    expect(m.matches('192.0.2.44')).toBe(true);
    expect(m.matches('2001:db8:bad:1::5')).toBe(true);
    expect(m.matches('2001:db8:bae::5')).toBe(false);
    expect(m.matches('not-an-ip')).toBe(false);
  });

  it('/0 matches everything of its family', () => {
    const m = new IpMatcher(cidrs('0.0.0.0/0'));
    expect(m.matches('8.8.8.8')).toBe(true);
    expect(m.matches('2001:db8::1')).toBe(false);
  });
});
