import { describe, expect, it } from 'vitest';
import { parseMessage, parseVia, responseTarget, stampVia, type SipMessage } from './index.ts';
import { wire } from './fixtures/wire.ts';

function req(via: string): SipMessage {
  const r = parseMessage(wire(`OPTIONS sip:x@example.com SIP/2.0
Via: ${via}
Via: SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKolder
From: <sip:a@example.com>;tag=1
To: <sip:x@example.com>
Call-ID: nat
CSeq: 1 OPTIONS
Content-Length: 0
`));
  if (!r.ok) throw new Error(r.error.code);
  return r.msg;
}

describe('stampVia (RFC 3261 §18.2.1, RFC 3581)', () => {
  it('adds received when the sent-by host differs from the source', () => {
    const m = req('SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1');
    stampVia(m, { address: '203.0.113.7', port: 40000 });
    expect(m.topVia()?.params.get('received')).toBe('203.0.113.7');
    expect(m.topVia()?.params.has('rport')).toBe(false);
    expect(m.vias()[1].params.has('received')).toBe(false);
  });

  it('leaves the Via alone when sent-by equals the source and no rport was asked', () => {
    const m = req('SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK1');
    stampVia(m, { address: '203.0.113.7', port: 5060 });
    expect(m.serialize().toString()).toContain('Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK1\r\n');
  });

  it('fills a bare rport and then always adds received', () => {
    const m = req('SIP/2.0/UDP 203.0.113.7:5060;rport;branch=z9hG4bK1');
    stampVia(m, { address: '203.0.113.7', port: 41234 });
    expect(m.header('via')).toBe('SIP/2.0/UDP 203.0.113.7:5060;rport=41234;branch=z9hG4bK1;received=203.0.113.7');
  });

  it('IPv4-mapped IPv6 source addresses compare as IPv4; IPv6 sent-by with brackets', () => {
    const m = req('SIP/2.0/UDP 203.0.113.7;branch=z9hG4bK1');
    stampVia(m, { address: '::ffff:203.0.113.7', port: 5060 });
    expect(m.topVia()?.params.has('received')).toBe(false);
    const m6 = req('SIP/2.0/UDP [2001:DB8::5];branch=z9hG4bK1');
    stampVia(m6, { address: '2001:db8::5', port: 5060 });
    expect(m6.topVia()?.params.has('received')).toBe(false);
    stampVia(m6, { address: '2001:db8::6', port: 5060 });
    expect(m6.topVia()?.params.get('received')).toBe('2001:db8::6');
  });
});

describe('responseTarget (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  const t = (via: string, transport?: string) => responseTarget(parseVia(via)!, transport);
  it('sent-by with default ports', () => {
    expect(t('SIP/2.0/UDP client.example.com;branch=z9hG4bK1')).toEqual({ host: 'client.example.com', port: 5060 });
    expect(t('SIP/2.0/TLS client.example.com;branch=z9hG4bK1')).toEqual({ host: 'client.example.com', port: 5061 });
    expect(t('SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1')).toEqual({ host: '2001:db8::1', port: 5070 });
  });
  it('received wins over sent-by; rport value gives the port (UDP)', () => {
    expect(t('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;received=203.0.113.7')).toEqual({ host: '203.0.113.7', port: 5062 });
    expect(t('SIP/2.0/UDP 10.0.0.5:5062;rport=40001;branch=z9hG4bK1;received=203.0.113.7')).toEqual({ host: '203.0.113.7', port: 40001 });
    expect(t('SIP/2.0/UDP 10.0.0.5:5062;rport;branch=z9hG4bK1;received=203.0.113.7')).toEqual({ host: '203.0.113.7', port: 5062 });
  });
  it('maddr for unreliable transports', () => {
    expect(t('SIP/2.0/UDP 10.0.0.5;maddr=239.1.1.1;received=203.0.113.7;branch=z9hG4bK1')).toEqual({ host: '239.1.1.1', port: 5060 });
  });
  it('reliable transports: received (or sent-by) and the sent-by port, rport ignored', () => {
    expect(t('SIP/2.0/TCP 10.0.0.5:5070;rport=40001;received=203.0.113.7;branch=z9hG4bK1')).toEqual({ host: '203.0.113.7', port: 5070 });
    expect(t('SIP/2.0/UDP 10.0.0.5;received=203.0.113.7;branch=z9hG4bK1', 'tls')).toEqual({ host: '203.0.113.7', port: 5061 });
  });
});

describe('setTopViaParam keeps the parsed top Via in step with its text', () => {
  // the message patches its cached top Via instead of parsing the new text: both must agree
  const VIAS = [
    'SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1',
    'SIP/2.0/UDP 10.0.0.5:5060;rport;branch=z9hG4bK1',
    'SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1;RPort=7;received=1.2.3.4',
    'SIP/2.0/UDP 10.0.0.5 ; rport = 5 ; branch = z9hG4bK1 ',
    'SIP/2.0/TCP [2001:db8::5]:5070;branch=z9hG4bK1;x="a;b";rport',
    'SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1;rport;rport=9',
    'SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.6;rport',
    'SIP / 2.0 / udp 10.0.0.5;branch=z9hG4bK1;maddr=239.1.1.1',
  ];
  const EDITS: Array<[string, string | null]> = [
    ['rport', '41234'], ['received', '203.0.113.7'], ['received', '2001:db8::6'], ['rport', null], ['RPORT', '1'],
    ['x', 'quoted value'], ['x', '"q"'], ['bad name', '1'], ['received', ''], ['maddr', 'h.example.com'],
  ];
  it.each(VIAS)('%s', (via) => {
    for (const [name, value] of EDITS) {
      const m = req(via);
      expect(m.topVia()).toBeDefined();
      m.setTopViaParam(name, value);
      const fresh = parseMessage(m.serialize());
      if (!fresh.ok) throw new Error(fresh.error.code);
      expect([name, value, m.topVia()]).toEqual([name, value, fresh.msg.topVia()]);
      // same param order too (formatVia and topology hiding write them out in order)
      expect([...(m.topVia()?.params ?? [])]).toEqual([...(fresh.msg.topVia()?.params ?? [])]);
      expect(m.vias()).toEqual(fresh.msg.vias());
    }
  });
});
