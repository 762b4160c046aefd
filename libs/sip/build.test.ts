import { describe, expect, it } from 'vitest';
import { buildMessage, createRequest, createResponse, generateBranch, generateCallId, generateTag, parseMessage, type SipMessage } from './index.ts';
import { YEALINK_INVITE } from './fixtures/ua.ts';
import { wire } from './fixtures/wire.ts';

function parsed(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(r.error.code);
  return r.msg;
}

const TWO_VIA_REQ = wire(`INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1, SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKp0
Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKua;rport=5062;received=198.51.100.9
Max-Forwards: 68
From: "Alice" <sip:alice@example.com>;tag=f1
To: <sip:bob@example.com>
Call-ID: resp-1@192.0.2.1
CSeq: 10 INVITE
Timestamp: 54.2
Contact: <sip:alice@192.0.2.1:5062>
Content-Length: 0
`);

describe('createResponse (RFC 3261 §8.2.6)', () => {
  it('copies every Via line in order, From, To, Call-ID, CSeq; adds the To tag', () => {
    const req = parsed(TWO_VIA_REQ);
    const res = createResponse(req, 180, 'Ringing', { toTag: 'totag9' });
    expect(res.isRequest).toBe(false);
    expect(res.method).toBe('INVITE');
    expect(res.headerValues('via')).toEqual(req.headerValues('via'));
    expect(res.fields().filter((f) => f.key === 'via')).toHaveLength(2);
    expect(res.header('from')).toBe('"Alice" <sip:alice@example.com>;tag=f1');
    expect(res.toTag()).toBe('totag9');
    expect(res.callId()).toBe('resp-1@192.0.2.1');
    expect(res.cseq()).toEqual({ seq: 10, method: 'INVITE' });
    expect(res.hasHeader('contact')).toBe(false);
    expect(res.hasHeader('timestamp')).toBe(false);
    const again = parsed(res.serialize());
    expect(again.status).toBe(180);
    expect(again.reason).toBe('Ringing');
    expect(again.toTag()).toBe('totag9');
    expect(again.contentLength()).toBe(0);
  });

  it('100 Trying echoes Timestamp and never adds a tag when To has one', () => {
    const req = parsed(TWO_VIA_REQ);
    expect(createResponse(req, 100, 'Trying').header('timestamp')).toBe('54.2');
    req.setHeader('To', '<sip:bob@example.com>;tag=existing');
    expect(createResponse(req, 200, 'OK', { toTag: 'new' }).toTag()).toBe('existing');
  });

  it('extra headers and a body with its Content-Type', () => {
    const req = parsed(YEALINK_INVITE);
    const res = createResponse(req, 200, 'OK', {
      toTag: generateTag(),
      headers: [['Contact', '<sip:sbc@198.51.100.1>'], ['Allow', 'INVITE, ACK, BYE']],
      body: Buffer.from('v=0\r\n'),
      contentType: 'application/sdp',
    });
    const again = parsed(res.serialize());
    expect(again.contacts()[0].uri?.host).toBe('198.51.100.1');
    expect(again.header('content-type')).toBe('application/sdp');
    expect(again.body.toString()).toBe('v=0\r\n');
    expect(again.headerValues('allow')).toEqual(['INVITE', 'ACK', 'BYE']);
  });

  it('works on a partial request from a ParseError (answer 400)', () => {
    const r = parseMessage(wire(`OPTIONS sip:x@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1
From: <sip:a@example.com>;tag=1
To: <sip:x@example.com>
Call-ID: p
CSeq: nope OPTIONS
`));
    expect(r.ok).toBe(false);
    if (r.ok || !r.error.partial) throw new Error('expected a partial');
    const res = createResponse(r.error.partial, 400, 'Bad CSeq');
    expect(res.serialize().toString()).toContain('\r\nCSeq: nope OPTIONS\r\n');
  });

  it('rejects a status outside 100-699', () => {
    expect(() => createResponse(parsed(TWO_VIA_REQ), 99, 'x')).toThrow(TypeError);
  });
});

describe('buildMessage / createRequest', () => {
  it('builds a CANCEL that parses back', () => {
    const req = parsed(TWO_VIA_REQ);
    const cancel = createRequest({
      method: 'CANCEL',
      uri: req.uri,
      headers: [
        ['Via', req.headerValues('via')[0]],
        ['Max-Forwards', '70'],
        ['From', req.header('from')!],
        ['To', req.header('to')!],
        ['Call-ID', req.callId()!],
        ['CSeq', `${req.cseq()!.seq} CANCEL`],
      ],
    });
    const again = parsed(cancel.serialize());
    expect(again.method).toBe('CANCEL');
    expect(again.cseq()).toEqual({ seq: 10, method: 'CANCEL' });
    expect(again.topVia()?.params.get('branch')).toBe('z9hG4bKp1');
    expect(again.contentLength()).toBe(0);
  });

  it('built messages support the same accessors and mutators before serializing', () => {
    const m = buildMessage('SIP/2.0 200 OK', [['v', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1'], ['f', '<sip:a@x>;tag=1'], ['t', '<sip:b@x>;tag=2'], ['i', 'c1'], ['CSeq', '1 BYE']]);
    expect(m.method).toBe('BYE');
    expect(m.topVia()?.host).toBe('192.0.2.1');
    m.removeFirstValue('via');
    expect(m.vias()).toEqual([]);
    expect(m.serialize().toString()).toBe('SIP/2.0 200 OK\r\nf: <sip:a@x>;tag=1\r\nt: <sip:b@x>;tag=2\r\ni: c1\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n');
  });

  it('refuses bad start lines, header names and values with line breaks', () => {
    expect(() => buildMessage('HELLO', [])).toThrow(TypeError);
    expect(() => buildMessage('OPTIONS sip:a@b SIP/2.0', [['Bad Name', 'x']])).toThrow(TypeError);
    expect(() => buildMessage('OPTIONS sip:a@b SIP/2.0', [['X-Inject', 'a\r\nVia: evil']])).toThrow(TypeError);
  });
});

describe('identifiers', () => {
  it('branches carry the magic cookie and are unique; tags and Call-IDs are random hex', () => {
    const b = new Set(Array.from({ length: 1000 }, generateBranch));
    expect(b.size).toBe(1000);
    for (const x of b) expect(x).toMatch(/^z9hG4bK[0-9a-f]{30}$/);
    expect(generateTag()).toMatch(/^[0-9a-f]{16}$/);
    expect(generateCallId('sbc.example.com')).toMatch(/^[0-9a-f]{30}@sbc\.example\.com$/);
  });
});
