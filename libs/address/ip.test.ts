import { describe, expect, it } from 'vitest';
import { cidrContains, formatCidr, formatIpv6, parseCidr, parseIp, parseIpv4, parseIpv6, type Cidr } from './ip.ts';

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

const inside = (net: string, ip: string) => cidrContains(cidr(net), parseIp(ip)!);

describe('IPv4 parsing', () => {
  it.each([
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['192.0.2.1', 0xc0000201],
    ['10.0.0.0', 0x0a000000],
  ])('%s -> %d', (s, n) => expect(parseIpv4(s)).toBe(n));

  it.each(['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ', 'a.b.c.d', '', '1.2.3.1000'])(
    'refuses %j',
    (s) => expect(parseIpv4(s)).toBe(-1),
  );
});

describe('IPv6 parsing', () => {
  it.each([
    ['::', 0n],
    ['::1', 1n],
    ['2001:db8::1', 0x20010db8000000000000000000000001n],
    ['2001:DB8:0:0:0:0:0:1', 0x20010db8000000000000000000000001n],
    ['[2001:db8::1]', 0x20010db8000000000000000000000001n],
    ['fe80::1%eth0', 0xfe800000000000000000000000000001n],
    ['1::', 1n << 112n],
    ['1:2:3:4:5:6:7::', 0x00010002000300040005000600070000n],
    ['::ffff:192.0.2.1', 0xffffc0000201n],
    ['64:ff9b::192.0.2.33', 0x0064ff9b0000000000000000c0000221n],
  ])('%s', (s, n) => expect(parseIpv6(s)).toBe(n));

  it.each(['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1', 'g::1', '1:2:3:4:5:6:7:8::', '192.0.2.1', '::ffff:1.2.3'])(
    'refuses %j',
    (s) => expect(parseIpv6(s)).toBeUndefined(),
  );

  it('folds IPv4-mapped addresses to IPv4 (dual-stack sockets report them)', () => {
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ v: 4, n: 0xc0000201 });
    expect(parseIp('::ffff:c000:0201')).toEqual({ v: 4, n: 0xc0000201 });
    expect(parseIp('::1')).toEqual({ v: 6, n: 1n });
    expect(parseIp('example.com')).toBeUndefined();
  });

  it('formats RFC 5952 text', () => {
    expect(formatIpv6(0x20010db8000000000000000000000001n)).toBe('2001:db8::1');
    expect(formatIpv6(0n)).toBe('::');
    expect(formatIpv6(0x20010db8000000010000000000000001n)).toBe('2001:db8:0:1::1');
    expect(formatIpv6(0x00010000000000010000000000000000n)).toBe('1:0:0:1::');
  });
});

describe('CIDR matching', () => {
  it('IPv4 edges: /0, /1, /8, /31, /32', () => {
    expect(inside('0.0.0.0/0', '255.255.255.255')).toBe(true);
    expect(inside('0.0.0.0/0', '0.0.0.0')).toBe(true);
    expect(inside('128.0.0.0/1', '200.1.1.1')).toBe(true);
    expect(inside('128.0.0.0/1', '127.255.255.255')).toBe(false);
    expect(inside('10.0.0.0/8', '10.255.255.255')).toBe(true);
    expect(inside('10.0.0.0/8', '11.0.0.0')).toBe(false);
    expect(inside('192.0.2.0/31', '192.0.2.1')).toBe(true);
    expect(inside('192.0.2.0/31', '192.0.2.2')).toBe(false);
    expect(inside('192.0.2.7', '192.0.2.7')).toBe(true);
    expect(inside('192.0.2.7/32', '192.0.2.8')).toBe(false);
    // the top bit set: unsigned arithmetic, no negative numbers
    expect(inside('255.255.255.0/24', '255.255.255.17')).toBe(true);
  });

  it('IPv6 edges: /0, /32, /64, /127, /128', () => {
    expect(inside('::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(inside('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(inside('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(inside('2001:db8:1:2::/64', '2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe(true);
    expect(inside('2001:db8:1:2::/64', '2001:db8:1:3::')).toBe(false);
    expect(inside('2001:db8::/127', '2001:db8::1')).toBe(true);
    expect(inside('2001:db8::/127', '2001:db8::2')).toBe(false);
    expect(inside('2001:db8::5', '2001:0db8:0000::0005')).toBe(true);
  });

  it('never mixes families, except IPv4-mapped which is IPv4', () => {
    expect(inside('::/0', '192.0.2.1')).toBe(false);
    expect(inside('0.0.0.0/0', '2001:db8::1')).toBe(false);
    expect(inside('192.0.2.0/24', '::ffff:192.0.2.99')).toBe(true);
    expect(inside('::ffff:192.0.2.0/120', '192.0.2.99')).toBe(true);
    expect(formatCidr(cidr('::ffff:10.0.0.0/104'))).toBe('10.0.0.0/8');
  });

  it('refuses host bits, bad prefixes and non-addresses with the fix', () => {
    expect(parseCidr('10.0.0.1/8')).toBe('10.0.0.1/8 has host bits set: the subnet is 10.0.0.0/8');
    expect(parseCidr('2001:db8::1/64')).toBe('2001:db8::1/64 has host bits set: the subnet is 2001:db8::/64');
    expect(parseCidr('10.0.0.0/33')).toMatch(/must be 0\.\.32/);
    expect(parseCidr('::/129')).toMatch(/must be 0\.\.128/);
    expect(parseCidr('10.0.0.0/')).toMatch(/prefix length/);
    expect(parseCidr('sbc.example.com')).toMatch(/not an IPv4 or IPv6 address/);
  });
});
