// The per-message shortcuts our Message takes (validateMessage and
// createResponse read its caches and rows directly) must give what the
// generic SipMessage path gives: the same messages are run through both.
import { describe, expect, it } from 'vitest';
import { createResponse, parseMessage, validateMessage, type SipMessage } from './index.ts';
import { wire } from './fixtures/wire.ts';

/** the same message seen only through the SipMessage interface (not `instanceof Message`) */
function generic(msg: SipMessage): SipMessage {
  return new Proxy(msg, {
    getPrototypeOf: () => Object.prototype,
    get: (target, prop) => {
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function parsed(text: string): SipMessage {
  const r = parseMessage(wire(text));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
  return r.msg;
}

function request(extra: string, uri = 'sip:bob@example.com'): string {
  return `INVITE ${uri} SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport
Max-Forwards: 70
From: "Alice" <sip:alice@example.com>;tag=1
To: <sip:bob@example.com>
Call-ID: hot-1@192.0.2.1
CSeq: 1 INVITE
${extra}Content-Length: 0
`;
}

const CASES: Array<[string, string]> = [
  ['a plain request', request('Contact: <sip:alice@192.0.2.1>\n')],
  ['two Via lines and a Via list', request('Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK0, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKz\n')],
  ['a malformed second Via', request('Via: not a via\n')],
  ['a malformed Via after a comma', request('Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0, garbage\n')],
  ['an empty element in a Via list', request('Via: , SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0\n')],
  ['a malformed Contact', request('Contact: <sip:alice@192.0.2.1\n')],
  ['a wildcard and a list of Contacts', request('Contact: <sip:a@192.0.2.1>, "B" <sip:b@192.0.2.2>;q=0.5\n')],
  ['a malformed Route', request('Route: <sip:p1@example.com;lr>, <sip:p2@[::1;lr>\n')],
  ['a malformed Record-Route', request('Record-Route: sip:rr@example.com;lr;=x\n')],
  ['Routes and Record-Routes', request('Route: <sip:p1@example.com;lr>\nRecord-Route: <sip:rr@example.com;lr>\n')],
  ['a control char in a value', request('Subject: hi\x01there\n')],
  ['a DEL in a value', request('Subject: hi\x7fthere\n')],
  ['a malformed Request-URI', request('', 'sip:bob@[::1')],
  ['an upper-case SIPS Request-URI', request('', 'SIPS:bob@example.com')],
  ['an http Request-URI', request('', 'http://example.com/')],
  ['a tel Request-URI', request('', 'tel:+15551234567')],
  ['a folded header', request('Subject: one\n  two\n')],
];

describe('Message shortcuts agree with the generic SipMessage path', () => {
  it.each(CASES)('validateMessage: %s', (_name, text) => {
    const ours = validateMessage(parsed(text));
    const theirs = validateMessage(generic(parsed(text)));
    expect(ours === undefined ? undefined : [ours.code, ours.detail]).toEqual(theirs === undefined ? undefined : [theirs.code, theirs.detail]);
  });

  it.each(CASES)('createResponse: %s', (_name, text) => {
    for (const [status, opts] of [[100, {}], [180, { toTag: 'tt' }], [420, { headers: [['Unsupported', 'foo']] as [string, string][] }]] as const) {
      const ours = createResponse(parsed(text), status, 'Some Reason', opts).serialize();
      const theirs = createResponse(generic(parsed(text)), status, 'Some Reason', opts).serialize();
      expect(ours.toString('latin1')).toBe(theirs.toString('latin1'));
    }
  });

  it('vias() reuses the parsed top Via and still reads every value', () => {
    const m = parsed(request('Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK0, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKz\n'));
    const top = m.topVia();
    const vias = m.vias();
    expect(vias[0]).toBe(top);
    expect(vias.map((v) => v.params.get('branch'))).toEqual(['z9hG4bK1', 'z9hG4bK0', 'z9hG4bKz']);
    // an empty first element: no top Via, the list skips it as headerValues() does
    const e = parsed(request('').replace('Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport', 'Via: , SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0'));
    expect(e.topVia()).toBeUndefined();
    expect(e.vias().map((v) => v.host)).toEqual(['10.0.0.1']);
  });

  it('createResponse keeps the reason as bytes and checks the extra headers as buildMessage does', () => {
    const m = parsed(request(''));
    expect(createResponse(m, 603, 'Déclin').reason).toBe('Déclin'); // chars up to U+00FF are bytes already
    expect(createResponse(m, 603, 'Déclin €').reason).toBe(Buffer.from('Déclin €', 'utf8').toString('latin1'));
    expect(createResponse(m, 200, '').serialize().toString('latin1').startsWith('SIP/2.0 200 \r\n')).toBe(true);
    expect(() => createResponse(m, 200, 'OK', { headers: [['Bad Name', 'x']] })).toThrow(TypeError);
    expect(() => createResponse(m, 200, 'OK', { headers: [['X-Ok', 'a\r\nb']] })).toThrow(TypeError);
    expect(() => createResponse(m, 180, 'Ringing', { toTag: 'a\nb' })).toThrow(TypeError);
  });

  it('a message without a body shares one empty Buffer and serializes as before', () => {
    const m = parsed(request(''));
    expect(m.body.length).toBe(0);
    m.setHeader('Max-Forwards', '69');
    expect(m.serialize().toString('latin1')).toContain('Max-Forwards: 69\r\nFrom:');
    expect(m.serialize().toString('latin1').endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });
});
