import { describe, expect, it } from 'vitest';
import { AddressMatcher, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from './index.ts';

const cidr = (x: string) => parseCidr(x) as Cidr;

describe('addresses for every feature', () => {
  it('reads IPv4, IPv6, bracketed and IPv4-mapped addresses', () => {
    expect(parseIp('192.0.2.7')).toEqual({ v: 4, n: 0xc0000207 });
    expect(parseIp('[2001:db8::1]')).toEqual({ v: 6, n: 0x20010db8000000000000000000000001n });
    expect(parseIp('::ffff:192.0.2.7')).toEqual({ v: 4, n: 0xc0000207 });
    expect(formatIp(parseIp('64:ff9b::192.0.2.33')!)).toBe('64:ff9b::c000:221');
  });

  it('refuses malformed addresses', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', 'a.b.c.d', '1:2:3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::1', '::1.2.3']) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('formats canonically (RFC 5952)', () => {
    expect(formatIp(parseIp('2001:0DB8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('2001:db8:0:1:0:0:0:1')!)).toBe('2001:db8:0:1::1');
    expect(formatIp(parseIp('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp(parseIp('::')!)).toBe('::');
    expect(formatCidr(cidr('198.51.100.0/24'))).toBe('198.51.100.0/24');
    expect(formatCidr(cidr('203.0.113.7/32'))).toBe('203.0.113.7');
    expect(formatCidr(cidr('[2001:db8::1]'))).toBe('2001:db8::1');
  });

  it('explains CIDR mistakes', () => {
    expect(parseCidr('10.0.0.1/8')).toBe('10.0.0.1/8 has host bits set: the subnet is 10.0.0.0/8');
    expect(parseCidr('192.168.1.')).toMatch(/Kamailio-style.*"192\.168\.1\.0\/24"/);
    expect(parseCidr('10.0.0.0/33')).toMatch(/0\.\.32/);
    expect(parseCidr('example.com')).toMatch(/not an IPv4 or IPv6 address/);
  });
});

describe('AddressMatcher', () => {
  it('matches exact addresses and CIDR prefixes of both families', () => {
    const m = AddressMatcher.of(['203.0.113.7', '198.51.100.0/24', '10.0.0.0/8', '2001:db8:bad::/48', '::ffff:192.0.2.0/120']);
    expect(m.has('203.0.113.7')).toBe(true);
    expect(m.has('203.0.113.8')).toBe(false);
    expect(m.has('198.51.100.255')).toBe(true);
    expect(m.has('198.51.101.1')).toBe(false);
    expect(m.has('10.200.3.4')).toBe(true);
    expect(m.has('::ffff:10.1.1.1')).toBe(true);
    expect(m.has('192.0.2.44')).toBe(true);
    expect(m.has('2001:db8:bad:1::5')).toBe(true);
    expect(m.has('2001:db8:bae::5')).toBe(false);
    expect(m.has('not-an-ip')).toBe(false);
  });

  it('/0 matches everything of its family', () => {
    const m = AddressMatcher.of(['0.0.0.0/0']);
    expect(m.has('8.8.8.8')).toBe(true);
    expect(m.has('2001:db8::1')).toBe(false);
  });

  it('honours port and transport, most specific rule first', () => {
    const m = new AddressMatcher<string>([
      { cidr: cidr('10.0.0.0/8'), value: 'net' },
      { cidr: cidr('10.1.2.3'), port: 5060, proto: 'udp', value: 'host-udp-5060' },
      { cidr: cidr('10.1.2.3'), proto: 'tcp', value: 'host-tcp' },
    ]);
    expect(m.match('10.1.2.3', 5060, 'udp')).toBe('host-udp-5060');
    expect(m.match('10.1.2.3', 5080, 'udp')).toBe('net');
    expect(m.match('10.1.2.3', 5080, 'tcp')).toBe('host-tcp');
    expect(m.match('10.9.9.9', 5060, 'tcp')).toBe('net');
    // port / transport left out: the caller does not care
    expect(m.match('10.1.2.3')).toBe('host-udp-5060');
    expect(m.match('11.0.0.1')).toBeUndefined();
  });
});
