import { describe, expect, it } from 'vitest';
import { formatNameAddr, formatUri, formatVia, parseNameAddr, parseUri, parseVia, splitList, unquote } from './index.ts';

describe('parseUri / formatUri', () => {
  it('full SIP URI with password, port, params and headers', () => {
    const u = parseUri('sip:alice:secret@atlanta.example.com:5070;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u).toMatchObject({ scheme: 'sip', user: 'alice', password: 'secret', host: 'atlanta.example.com', port: 5070 });
    expect([...(u?.params ?? [])]).toEqual([['transport', 'TCP'], ['lr', null], ['maddr', '239.255.255.1']]);
    expect(u?.headers).toBe('subject=project%20x&priority=urgent');
    expect(formatUri(u!)).toBe('sip:alice:secret@atlanta.example.com:5070;transport=TCP;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
  });

  it('IPv6 host with port, sips, user with ; in it, tel:', () => {
    expect(parseUri('sips:[2001:db8::1]:5061')).toMatchObject({ scheme: 'sips', host: '[2001:db8::1]', port: 5061 });
    expect(parseUri('sip:alice;day=tuesday@example.com')?.user).toBe('alice;day=tuesday');
    expect(parseUri('SIP:Bob@Example.COM')).toMatchObject({ scheme: 'sip', user: 'Bob', host: 'Example.COM' });
    const t = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    expect(t).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123', host: '' });
    expect(formatUri(t!)).toBe('tel:+1-201-555-0123;phone-context=example.com');
  });

  it('an @ in the headers part is not userinfo', () => {
    const u = parseUri('sip:carol@example.com?Replaces=12345@192.0.2.4%3Bto-tag%3D1');
    expect(u).toMatchObject({ user: 'carol', host: 'example.com', headers: 'Replaces=12345@192.0.2.4%3Bto-tag%3D1' });
  });

  it('rejects malformed URIs', () => {
    for (const bad of ['', 'sip:', 'sip:@example.com', 'sip:user@', 'sip:user@host:99999', 'sip:user@host:port', 'sip:us er@host',
      'sip:user@[2001:db8::1', 'sip:user@[zz::1]', 'sip:%zzuser@host', 'http://example.com', 'sip:user@ho<st', 'tel:', 'sip:user@host;=x']) {
      expect(parseUri(bad), bad).toBeUndefined();
    }
  });
});

describe('parseNameAddr / formatNameAddr', () => {
  it('quoted, token and absent display names', () => {
    expect(parseNameAddr('"Alice \\"A\\"" <sip:alice@example.com>;tag=1')).toMatchObject({ displayName: 'Alice "A"', uriText: 'sip:alice@example.com' });
    expect(parseNameAddr('Bob Smith <sip:bob@example.com>')?.displayName).toBe('Bob Smith');
    expect(parseNameAddr('<sip:carol@example.com>')?.displayName).toBeUndefined();
  });

  it('non-SIP URIs keep uriText, uri undefined', () => {
    const na = parseNameAddr('<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>');
    expect(na?.uriText).toBe('urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6');
    expect(na?.uri).toBeUndefined();
  });

  it('rejects malformed name-addrs', () => {
    for (const bad of ['', '"unterminated <sip:a@b>', '<sip:a@b', 'Name sip:a@b', '<sip:a@b>;=x', '<sip:a@b> junk', '"x" sip:a@b']) {
      expect(parseNameAddr(bad), bad).toBeUndefined();
    }
  });

  it('format round-trips', () => {
    const na = parseNameAddr('"Smith, John" <sip:john@example.com;transport=tcp>;tag=abc;expires=60')!;
    const text = formatNameAddr(na);
    expect(text).toBe('"Smith, John" <sip:john@example.com;transport=tcp>;tag=abc;expires=60');
    const again = parseNameAddr(text)!;
    expect(again.displayName).toBe('Smith, John');
    expect([...again.params]).toEqual([...na.params]);
  });
});

describe('parseVia / formatVia', () => {
  it('usual Via', () => {
    const v = parseVia('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport;received=198.51.100.3')!;
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.1', port: 5060 });
    expect([...v.params]).toEqual([['branch', 'z9hG4bK776'], ['rport', null], ['received', '198.51.100.3']]);
    expect(formatVia(v)).toBe('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport;received=198.51.100.3');
  });

  it('odd spacing, lower-case transport, IPv6, WSS', () => {
    expect(parseVia(' SIP / 2.0 / tcp   host.example.com ; branch = z9hG4bKa ')).toMatchObject({ transport: 'TCP', host: 'host.example.com' });
    expect(parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKx;rport')).toMatchObject({ transport: 'WSS', host: 'df7jal23ls0d.invalid' });
    expect(parseVia('SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKy')).toMatchObject({ host: '[2001:db8::1]', port: 5061 });
  });

  it('rejects malformed Vias', () => {
    for (const bad of ['', 'SIP/2.0/UDP', 'SIP/2.0 192.0.2.1', 'SIP/2.0/UDP ;branch=x', 'SIP/2.0/UDP host:70000', 'SIP/2.0/UDP host;branch=', 'SIP/2.0/UDP a, SIP/2.0/UDP b', 'SIP/2.0/UDP [::1']) {
      expect(parseVia(bad), bad).toBeUndefined();
    }
  });
});

describe('splitList / unquote', () => {
  it('splits on top-level commas only', () => {
    expect(splitList('a, "b,c" <sip:x,y>;p="1,2" , d,,')).toEqual(['a', '"b,c" <sip:x,y>;p="1,2"', 'd']);
    expect(splitList('"unterminated, quote')).toEqual(['"unterminated, quote']);
  });
  it('unquotes quoted-pairs', () => {
    expect(unquote('"a\\"b\\\\c"')).toBe('a"b\\c');
    expect(unquote('token')).toBe('token');
  });
});
