import { describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage } from './index.ts';
import {
  ALL_UA_FIXTURES, ASTERISK_200_OK, ASTERISK_401, CISCO_REGISTER, FREESWITCH_MULTIPART_INVITE, FREESWITCH_OPTIONS,
  GRANDSTREAM_NOTIFY, POLYCOM_INVITE, YEALINK_INVITE, YEALINK_REGISTER_AUTH,
} from './fixtures/ua.ts';
import { wire } from './fixtures/wire.ts';

function parsed(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`expected a message, got ${r.error.code}: ${r.error.detail}`);
  return r.msg;
}

describe('parseMessage on real user-agent captures', () => {
  for (const [name, buf] of Object.entries(ALL_UA_FIXTURES)) {
    it(`${name} parses, has the mandatory headers, and serializes unchanged`, () => {
      const m = parsed(buf);
      expect(m.topVia()?.params.get('branch')).toMatch(/^z9hG4bK/);
      expect(m.callId()).toBeTruthy();
      expect(m.cseq()?.seq).toBeGreaterThan(0);
      expect(m.from()).toBeDefined();
      expect(m.to()).toBeDefined();
      expect(m.serialize().equals(buf)).toBe(true);
    });
  }

  it('Yealink INVITE: request line, proxy fields, SDP body as a view', () => {
    const m = parsed(YEALINK_INVITE);
    expect(m.isRequest).toBe(true);
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('sip:1002@pbx.example.com:5060');
    expect(m.requestUri()).toMatchObject({ scheme: 'sip', user: '1002', host: 'pbx.example.com', port: 5060 });
    expect(m.topVia()).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '192.0.2.101', port: 5062 });
    expect(m.topVia()?.params.get('rport')).toBeNull();
    expect(m.from()?.displayName).toBe('Office 1001');
    expect(m.fromTag()).toBe('2091340577');
    expect(m.toTag()).toBeUndefined();
    expect(m.cseq()).toEqual({ seq: 2, method: 'INVITE' });
    expect(m.maxForwards()).toBe(70);
    expect(m.contacts()[0].uri?.host).toBe('192.0.2.101');
    expect(m.routes()).toEqual([]);
    expect(m.headerValues('allow')).toContain('SUBSCRIBE');
    expect(m.headerValues('Allow-Events')).toEqual(['talk', 'hold', 'conference', 'refer', 'check-sync']);
    expect(m.body.toString()).toMatch(/^v=0\r\n/);
    expect(m.body.buffer).toBe(YEALINK_INVITE.buffer); // no copy
    expect(m.contentLength()).toBe(m.body.length);
  });

  it('REGISTER with Digest credentials: the Authorization value is one value (commas inside)', () => {
    const m = parsed(YEALINK_REGISTER_AUTH);
    expect(m.headerValues('authorization')).toHaveLength(1);
    expect(m.header('Authorization')).toMatch(/^Digest username="1001", realm=/);
    const c = m.contacts()[0];
    expect(c.params.get('+sip.instance')).toBe('"<urn:uuid:00000000-0000-1000-8000-805ec0a1b2c3>"');
    expect(c.params.get('reg-id')).toBe('1');
    expect(m.header('expires')).toBe('3600');
  });

  it('Polycom over TCP: transport param in the Request-URI, P-Preferred-Identity', () => {
    const m = parsed(POLYCOM_INVITE);
    expect(m.requestUri()?.params.get('transport')).toBe('tcp');
    expect(m.topVia()?.transport).toBe('TCP');
    expect(m.headerValues('p-preferred-identity')).toEqual(['"Lobby Phone" <sip:2001@192.0.2.10>']);
  });

  it('Cisco REGISTER over IPv6: bracketed sent-by, Contact with quoted params, Date with a comma', () => {
    const m = parsed(CISCO_REGISTER);
    expect(m.topVia()).toMatchObject({ host: '[2001:db8::55]', port: 5060 });
    const c = m.contacts();
    expect(c).toHaveLength(1);
    expect(c[0].uri).toMatchObject({ host: '[2001:db8::55]', port: 5060 });
    expect(c[0].params.get('video')).toBeNull();
    expect(c[0].params.get('+u.sip!devicename.ccm.cisco.com')).toBe('"SEP00A1B2C3D4E5"');
    expect(m.headerValues('date')).toEqual(['Mon, 05 Feb 2024 10:11:12 GMT']);
    expect(m.headerValues('supported')).toHaveLength(15);
    expect(m.headerValues('reason')).toHaveLength(1);
  });

  it('Grandstream NOTIFY in compact form: every compact name maps to its long key', () => {
    const m = parsed(GRANDSTREAM_NOTIFY);
    expect(m.topVia()?.host).toBe('198.51.100.77');
    expect(m.fromTag()).toBe('1201853711');
    expect(m.toTag()).toBe('as6b1c2d3e');
    expect(m.callId()).toBe('1734520123-5060-4@BA.FE.HF.IG');
    expect(m.header('Event')).toBe('message-summary');
    expect(m.header('content-type')).toBe('application/simple-message-summary');
    expect(m.contacts()[0].uri?.params.get('transport')).toBe('udp');
    expect(m.contentLength()).toBe(m.body.length);
    const keys = m.fields().map((f) => f.key);
    expect(keys).toEqual(expect.arrayContaining(['via', 'from', 'to', 'call-id', 'contact', 'event', 'content-type', 'content-length']));
    expect(m.fields()[0].name).toBe('v');
  });

  it('Asterisk 200 OK: two Vias, Record-Route on two lines with two values on one', () => {
    const m = parsed(ASTERISK_200_OK);
    expect(m.isRequest).toBe(false);
    expect(m.status).toBe(200);
    expect(m.reason).toBe('OK');
    expect(m.method).toBe('INVITE');
    expect(m.vias().map((v) => v.host)).toEqual(['203.0.113.5', '192.0.2.101']);
    expect(m.vias()[1].params.get('rport')).toBe('40312');
    const rr = m.recordRoutes();
    expect(rr.map((r) => r.uri?.host)).toEqual(['203.0.113.5', '10.0.0.5', '203.0.113.5']);
    expect(rr[0].uri?.params.get('lr')).toBeNull();
    expect(m.headerValues('record-route')).toHaveLength(3);
    expect(m.toTag()).toBe('8f4d2b1e-6c1a-4d3e-9b7f-2a1c0e5d4b3a');
  });

  it('Asterisk 401: WWW-Authenticate stays one value', () => {
    const m = parsed(ASTERISK_401);
    expect(m.status).toBe(401);
    expect(m.headerValues('www-authenticate')).toHaveLength(1);
  });

  it('FreeSWITCH OPTIONS: Content-Length 0, empty body', () => {
    const m = parsed(FREESWITCH_OPTIONS);
    expect(m.method).toBe('OPTIONS');
    expect(m.body.length).toBe(0);
    expect(m.contentLength()).toBe(0);
  });

  it('multipart INVITE: body bytes intact, P-Asserted-Identity with two values', () => {
    const m = parsed(FREESWITCH_MULTIPART_INVITE);
    expect(m.header('content-type')).toBe('multipart/mixed;boundary="unique-boundary-1"');
    expect(m.body.toString()).toMatch(/^--unique-boundary-1\r\n[\s\S]*--unique-boundary-1--\r\n$/);
    expect(m.headerValues('p-asserted-identity')).toEqual(['"+4989765432" <sip:+4989765432@203.0.113.40>', '<tel:+4989765432>']);
  });
});

describe('grammar points', () => {
  const base = (extra: string, start = 'OPTIONS sip:bob@example.com SIP/2.0', body = '') => wire(`${start}
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: grammar-1
CSeq: 1 ${start.startsWith('SIP/') ? 'INVITE' : start.split(' ')[0]}
${extra}Content-Length: {CL}
`, body);

  it('header names are case-insensitive and lookups accept compact forms', () => {
    const m = parsed(base('mAx-FoRwArDs: 12\nUSER-AGENT: x\n'));
    expect(m.maxForwards()).toBe(12);
    expect(m.header('user-agent')).toBe('x');
    expect(m.header('User-Agent')).toBe('x');
    expect(m.header('v')).toBe('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc');
    expect(m.hasHeader('I')).toBe(true); // compact Call-ID
    expect(m.hasHeader('Subject')).toBe(false);
  });

  it('all compact forms are recognised', () => {
    const lines = 'b: <sip:r@x>\nc: text/plain\ne: gzip\nk: timer\no: presence\nr: <sip:t@x>\ns: hi\nu: talk\nx: 90\ny: abc\n';
    const m = parsed(base(lines));
    expect(m.header('referred-by')).toBe('<sip:r@x>');
    expect(m.header('content-type')).toBe('text/plain');
    expect(m.header('content-encoding')).toBe('gzip');
    expect(m.header('supported')).toBe('timer');
    expect(m.header('event')).toBe('presence');
    expect(m.header('refer-to')).toBe('<sip:t@x>');
    expect(m.header('subject')).toBe('hi');
    expect(m.header('allow-events')).toBe('talk');
    expect(m.header('session-expires')).toBe('90');
    expect(m.header('identity')).toBe('abc');
  });

  it('folded (LWS continuation) values are unfolded to single spaces', () => {
    const m = parsed(base('Subject: first part\n   second part\n\tthird\n'));
    expect(m.header('subject')).toBe('first part second part third');
  });

  it('a value that starts on the continuation line', () => {
    const m = parsed(base('Subject:\n  late value\n'));
    expect(m.header('subject')).toBe('late value');
  });

  it('Via, Route and Contact on several lines and several values per line, in order', () => {
    const m = parsed(base('Via: SIP/2.0/TCP 192.0.2.2;branch=z9hG4bK2, SIP/2.0/UDP 192.0.2.3;branch=z9hG4bK3\nRoute: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\nRoute: <sip:p3.example.com;lr>\n'));
    expect(m.vias().map((v) => v.host)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(m.routes().map((r) => r.uri?.host)).toEqual(['p1.example.com', 'p2.example.com', 'p3.example.com']);
  });

  it('commas inside quotes and inside <> do not split', () => {
    const m = parsed(base('Contact: "Smith, John" <sip:john@example.com;x=a,b>;q=0.7, <sip:j2@example.com>;expires="1,2"\n'));
    const c = m.contacts();
    expect(c).toHaveLength(2);
    expect(c[0].displayName).toBe('Smith, John');
    expect(c[0].uriText).toBe('sip:john@example.com;x=a,b');
    expect(c[0].params.get('q')).toBe('0.7');
    expect(c[1].params.get('expires')).toBe('"1,2"');
  });

  it('quoted display names with escapes are unescaped', () => {
    const m = parsed(base('Contact: "A \\"quoted\\" \\\\ name" <sip:a@example.com>\n'));
    expect(m.contacts()[0].displayName).toBe('A "quoted" \\ name');
  });

  it('addr-spec form: parameters after the URI belong to the header', () => {
    const m = parsed(base('Contact: sip:carol@192.0.2.9:5070;expires=60;q=0.5\n'));
    const c = m.contacts()[0];
    expect(c.uriText).toBe('sip:carol@192.0.2.9:5070');
    expect(c.uri?.params.size).toBe(0);
    expect(c.params.get('expires')).toBe('60');
    expect(c.params.get('q')).toBe('0.5');
  });

  it('name-addr form: URI params stay in the URI, header params outside', () => {
    const m = parsed(base('Contact: <sip:carol@192.0.2.9;transport=tcp;ob>;expires=60\n'));
    const c = m.contacts()[0];
    expect(c.uri?.params.get('transport')).toBe('tcp');
    expect(c.uri?.params.get('ob')).toBeNull();
    expect(c.params.get('expires')).toBe('60');
    expect(c.params.has('transport')).toBe(false);
  });

  it('wildcard Contact', () => {
    const m = parsed(base('Contact: *\nExpires: 0\n', 'REGISTER sip:example.com SIP/2.0'));
    expect(m.contacts()[0].star).toBe(true);
  });

  it('IPv6 references in the Request-URI and Via, sips: and tel: URIs', () => {
    const m = parsed(base('Via: SIP/2.0/TLS [2001:db8::2]:5061;branch=z9hG4bK9;received=2001:db8::99\nReferred-By: <sips:boss@example.com>\nP-Asserted-Identity: <tel:+15551234567;phone-context=example.com>\n', 'OPTIONS sip:[2001:db8::1]:5080;transport=tls SIP/2.0'));
    expect(m.requestUri()).toMatchObject({ host: '[2001:db8::1]', port: 5080 });
    expect(m.vias()[1]).toMatchObject({ host: '[2001:db8::2]', port: 5061, transport: 'TLS' });
    expect(m.vias()[1].params.get('received')).toBe('2001:db8::99');
  });

  it('Content-Length absent over UDP: the body is the rest of the datagram', () => {
    const buf = Buffer.from('MESSAGE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: nocl\r\nCSeq: 1 MESSAGE\r\n\r\nhello there');
    const m = parsed(buf);
    expect(m.contentLength()).toBeUndefined();
    expect(m.body.toString()).toBe('hello there');
    expect(m.serialize().toString()).toContain('\r\nContent-Length: 11\r\n\r\nhello there');
  });

  it('bytes after Content-Length in a datagram are ignored', () => {
    const buf = Buffer.concat([base('', 'MESSAGE sip:bob@example.com SIP/2.0', 'abc'), Buffer.from('TRAILING GARBAGE')]);
    const m = parsed(buf);
    expect(m.body.toString()).toBe('abc');
    expect(m.serialize().toString()).not.toContain('TRAILING');
  });

  it('leading CRLFs before the start line are skipped (RFC 3261 §7.5)', () => {
    const m = parsed(Buffer.concat([Buffer.from('\r\n\r\n'), FREESWITCH_OPTIONS]));
    expect(m.method).toBe('OPTIONS');
    expect(m.serialize().equals(FREESWITCH_OPTIONS)).toBe(true);
  });

  it('bare LF line ends are accepted and normalised to CRLF on output', () => {
    const text = FREESWITCH_OPTIONS.toString('latin1').replace(/\r\n/g, '\n');
    const m = parsed(Buffer.from(text, 'latin1'));
    expect(m.callId()).toBe('8a1f2b3c-4d5e-6f70-8192-a3b4c5d6e7f8');
    const out = m.serialize().toString('latin1');
    expect(out).not.toMatch(/[^\r]\n/);
    expect(parsed(m.serialize()).callId()).toBe(m.callId());
  });

  it('responses take their method from CSeq; empty reason phrase is allowed', () => {
    const m = parsed(base('', 'SIP/2.0 180'));
    expect(m.status).toBe(180);
    expect(m.reason).toBe('');
    expect(m.method).toBe('INVITE');
    expect(m.uri).toBe('');
  });

  it('headers with no value and unknown headers are kept', () => {
    const m = parsed(base('Subject:\nX-Weird_Name.1: ;;,,;;\n'));
    expect(m.header('subject')).toBe('');
    expect(m.header('x-weird_name.1')).toBe(';;,,;;');
    expect(m.fields().find((f) => f.key === 'x-weird_name.1')?.name).toBe('X-Weird_Name.1');
  });

  it('Max-Forwards that is not a number reads as NaN', () => {
    expect(parsed(base('Max-Forwards: many\n')).maxForwards()).toBeNaN();
  });

  it('URI headers (?a=b) and an @ inside them', () => {
    const m = parsed(base('Refer-To: <sip:carol@example.com?Replaces=abc%40host%3Bto-tag%3D1&Subject=x>\n'));
    const na = m.headerValues('refer-to')[0];
    expect(na).toContain('Replaces=');
    expect(m.fields().length).toBeGreaterThan(5);
  });

  it('partial: a request with a bad Content-Length still carries what is needed to answer', () => {
    const buf = wire(`INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: partial-1
CSeq: 1 INVITE
Content-Length: 99
`, 'short');
    const r = parseMessage(buf);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('truncated_body');
    expect(r.error.partial?.callId()).toBe('partial-1');
    expect(r.error.partial?.topVia()?.params.get('branch')).toBe('z9hG4bKabc');
  });

  it('limits can be overridden', () => {
    const r = parseMessage(YEALINK_INVITE, { maxMessageBytes: 500 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('too_large');
    const r2 = parseMessage(YEALINK_INVITE, { maxHeaderCount: 5 });
    expect(!r2.ok && r2.error.code).toBe('too_many_headers');
    const r3 = parseMessage(ASTERISK_200_OK, { maxViaDepth: 1 });
    expect(!r3.ok && r3.error.code).toBe('via_depth');
    // a cap given as undefined/0/NaN keeps its default instead of vanishing
    const big = Buffer.concat([YEALINK_INVITE, Buffer.alloc(70_000, 0x41)]);
    const r4 = parseMessage(big, { maxMessageBytes: undefined, maxLineBytes: Number.NaN, maxHeaderCount: 0 });
    expect(!r4.ok && r4.error.code).toBe('too_large');
  });
});
