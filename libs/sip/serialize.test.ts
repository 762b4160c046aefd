import { describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage } from './index.ts';
import { ASTERISK_200_OK, GRANDSTREAM_NOTIFY, YEALINK_INVITE } from './fixtures/ua.ts';
import { TORTUOUS_INVITE } from './fixtures/torture.ts';

function parsed(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(r.error.code);
  return r.msg;
}

function lines(buf: Buffer): string[] {
  return buf.toString('latin1').split('\r\n');
}

describe('serialize', () => {
  it('returns the same bytes again while unchanged, and fresh bytes after any change', () => {
    const m = (parseMessage(YEALINK_INVITE) as { ok: true; msg: SipMessage }).msg;
    m.setHeader('Max-Forwards', '69');
    const a = m.serialize();
    expect(m.serialize()).toBe(a);
    m.prependHeader('Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-x');
    const b = m.serialize();
    expect(b).not.toBe(a);
    expect(b.toString('latin1')).toContain('Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-x\r\n');
    m.setUri('sip:other@192.0.2.2');
    expect(m.serialize().toString('latin1').startsWith('INVITE sip:other@192.0.2.2 SIP/2.0\r\n')).toBe(true);
    m.body = Buffer.from('v=0\r\n');
    expect(m.serialize().toString('latin1')).toMatch(/Content-Length: 5\r\n\r\nv=0\r\n$/);
  });

  it('unmodified: returns the original bytes without copying', () => {
    const m = parsed(YEALINK_INVITE);
    const out = m.serialize();
    expect(out.equals(YEALINK_INVITE)).toBe(true);
    expect(out.buffer).toBe(YEALINK_INVITE.buffer);
  });

  it('proxy edit: new top Via, decremented Max-Forwards; every other line byte-for-byte', () => {
    const m = parsed(YEALINK_INVITE);
    m.prependHeader('Via', 'SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKproxy1');
    m.setHeader('Max-Forwards', String((m.maxForwards() ?? 70) - 1));
    const out = m.serialize();
    const a = lines(YEALINK_INVITE);
    const b = lines(out);
    expect(b[0]).toBe(a[0]);
    expect(b[1]).toBe('Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKproxy1');
    expect(b.slice(2)).toEqual(a.slice(1).map((l) => (l === 'Max-Forwards: 70' ? 'Max-Forwards: 69' : l)));
    const again = parsed(out);
    expect(again.vias().map((v) => v.host)).toEqual(['198.51.100.1', '192.0.2.101']);
    expect(again.maxForwards()).toBe(69);
    expect(again.body.equals(m.body)).toBe(true);
  });

  it('accessors see mutations (caches are invalidated)', () => {
    const m = parsed(YEALINK_INVITE);
    expect(m.topVia()?.host).toBe('192.0.2.101');
    m.prependHeader('v', 'SIP/2.0/TCP 198.51.100.2;branch=z9hG4bKx');
    expect(m.topVia()?.host).toBe('198.51.100.2');
    expect(m.vias()).toHaveLength(2);
    m.removeFirstValue('Via');
    expect(m.topVia()?.host).toBe('192.0.2.101');
    m.setHeader('From', '<sip:someone@example.org>;tag=zz');
    expect(m.fromTag()).toBe('zz');
    m.removeHeader('contact');
    expect(m.contacts()).toEqual([]);
    m.appendHeader('Route', '<sip:r1.example.org;lr>');
    expect(m.routes()[0].uri?.host).toBe('r1.example.org');
    m.setHeader('max-forwards', '3');
    expect(m.maxForwards()).toBe(3);
    m.setHeader('CSeq', '7 INVITE');
    expect(m.cseq()?.seq).toBe(7);
    m.setUri('sip:other@example.net');
    expect(m.requestUri()?.host).toBe('example.net');
    expect(m.serialize().toString().startsWith('INVITE sip:other@example.net SIP/2.0\r\n')).toBe(true);
  });

  it('replacing a header keeps the name as the message spelled it (compact stays compact)', () => {
    const m = parsed(GRANDSTREAM_NOTIFY);
    m.setHeader('Call-ID', 'new-id');
    expect(m.serialize().toString()).toContain('\r\ni: new-id\r\n');
    m.setHeader('X-New', 'yes');
    expect(m.serialize().toString()).toContain('\r\nX-New: yes\r\n\r\n');
  });

  it('removeFirstValue pops one value of a multi-value line and keeps the rest', () => {
    const m = parsed(ASTERISK_200_OK);
    m.removeFirstValue('Record-Route'); // line 1 has one value: line removed
    m.removeFirstValue('Record-Route'); // line 2 had two: one left
    expect(m.headerValues('record-route')).toEqual(['<sip:203.0.113.5;r2=on;lr;ftag=2091340577>']);
    m.removeFirstValue('via');
    const out = parsed(m.serialize());
    expect(out.vias().map((v) => v.host)).toEqual(['192.0.2.101']);
  });

  it('Content-Length is recomputed with the original name form', () => {
    const m = parsed(GRANDSTREAM_NOTIFY);
    m.body = Buffer.from('Messages-Waiting: no\r\n');
    const s = m.serialize().toString();
    expect(s).toContain('\r\nl: 22\r\n');
    expect(s.endsWith('\r\n\r\nMessages-Waiting: no\r\n')).toBe(true);
    const m2 = parsed(YEALINK_INVITE);
    m2.body = Buffer.alloc(0);
    expect(m2.serialize().toString()).toContain('\r\nContent-Length: 0\r\n\r\n');
  });

  it('a body change alone does not disturb other lines', () => {
    const m = parsed(YEALINK_INVITE);
    m.body = Buffer.from('v=0\r\n');
    const out = parsed(m.serialize());
    expect(out.body.toString()).toBe('v=0\r\n');
    expect(out.fields().map((f) => f.value)).toEqual(m.fields().map((f) => (f.key === 'content-length' ? '5' : f.value)));
  });

  it('folded lines survive edits elsewhere byte-for-byte', () => {
    const m = parsed(TORTUOUS_INVITE);
    m.setHeader('Max-Forwards', '67');
    const out = m.serialize().toString('latin1');
    expect(out).toContain('NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n');
    expect(out).toContain('MaX-fOrWaRdS: 67\r\n');
  });

  it('setTopViaParam adds received/rport to the first value only', () => {
    const m = parsed(ASTERISK_200_OK);
    m.prependHeader('Via', 'SIP/2.0/UDP 192.0.2.50;rport;branch=z9hG4bKa, SIP/2.0/UDP 192.0.2.51;branch=z9hG4bKb');
    m.setTopViaParam('rport', '6000');
    m.setTopViaParam('received', '198.51.100.7');
    expect(m.header('via')).toBe('SIP/2.0/UDP 192.0.2.50;rport=6000;branch=z9hG4bKa;received=198.51.100.7, SIP/2.0/UDP 192.0.2.51;branch=z9hG4bKb');
    expect(m.topVia()?.params.get('received')).toBe('198.51.100.7');
  });

  it('non-latin1 text given to mutators is written as UTF-8', () => {
    const m = parsed(YEALINK_INVITE);
    m.setHeader('Subject', 'Grüße ☎');
    const out = m.serialize();
    expect(out.includes(Buffer.from('Subject: Grüße ☎\r\n', 'utf8'))).toBe(true);
  });

  it('clone is independent of the original', () => {
    const m = parsed(YEALINK_INVITE);
    m.setHeader('Max-Forwards', '50');
    const c = m.clone();
    c.setUri('sip:fork2@example.com');
    c.prependHeader('Via', 'SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKfork2');
    expect(m.uri).toBe('sip:1002@pbx.example.com:5060');
    expect(m.vias()).toHaveLength(1);
    expect(c.vias()).toHaveLength(2);
    expect(c.maxForwards()).toBe(50);
    expect(parsed(c.serialize()).uri).toBe('sip:fork2@example.com');
    expect(parsed(m.serialize()).vias()).toHaveLength(1);
  });

  it('compact() drops what was parsed but every read, edit and the output stay the same', () => {
    for (const buf of [YEALINK_INVITE, TORTUOUS_INVITE]) {
      const m = parsed(buf);
      m.setTopViaParam('received', '192.0.2.7');
      const c = m.clone();
      const reads = (x: SipMessage) => [x.topVia(), x.vias(), x.from(), x.to(), x.fromTag(), x.callId(), x.cseq(), x.maxForwards(), x.routes(), x.contacts(), x.requestUri(), x.contentLength(), x.fields()];
      const before = reads(m);
      const bytes = m.serialize().toString('latin1');
      m.compact();
      expect(reads(m)).toEqual(before);
      expect(m.serialize().toString('latin1')).toBe(bytes);
      // a clone shares the header index: it reads and edits as before
      expect(reads(c)).toEqual(before);
      c.setHeader('Max-Forwards', '9');
      m.compact();
      expect(c.maxForwards()).toBe(9);
      expect(m.maxForwards()).toBe(before[7]);
      expect(m.serialize().toString('latin1')).toBe(bytes);
    }
  });

  it('compact() moves a message read from a view (a recvmmsg batch, a TCP read) onto its own bytes', () => {
    const batch = Buffer.alloc(YEALINK_INVITE.length * 3);
    YEALINK_INVITE.copy(batch, YEALINK_INVITE.length);
    const m = parsed(batch.subarray(YEALINK_INVITE.length, YEALINK_INVITE.length * 2));
    const bytes = m.serialize().toString('latin1');
    const body = m.body.toString('latin1');
    m.compact();
    // the batch buffer is reused for the next batch: the message no longer reads it
    batch.fill(0x41);
    expect(m.serialize().toString('latin1')).toBe(bytes);
    expect(m.body.toString('latin1')).toBe(body);
    expect(body.length).toBeGreaterThan(0);
  });

  it('setStatus rewrites the status line', () => {
    const m = parsed(ASTERISK_200_OK);
    m.setStatus(486, 'Busy Here');
    expect(m.serialize().toString().startsWith('SIP/2.0 486 Busy Here\r\n')).toBe(true);
  });
});
