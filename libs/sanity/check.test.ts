import { describe, expect, it } from 'vitest';
import { createResponse, parseMessage, PARSE_ERRORS, PARSE_ERROR_CODES, type ParseLimits, type SipMessage } from '#libs/sip';
import { checkRequest, forwardedMaxForwards, checkMaxForwards, resolveSanityConfig, type SanityContext } from './index.ts';
import { PARSE_REJECTION } from './check.ts';

type Head = Array<[string, string]>;

const BASE: Head = [
  ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport'],
  ['Max-Forwards', '70'],
  ['To', 'Bob <sip:bob@example.com>'],
  ['From', 'Alice <sip:alice@example.com>;tag=1928301774'],
  ['Call-ID', 'a84b4c76e66710@192.0.2.1'],
  ['CSeq', '314159 INVITE'],
  ['Contact', '<sip:alice@192.0.2.1>'],
];

interface Spec {
  method?: string;
  uri?: string;
  version?: string;
  /** replace (value) or remove (null) headers by name, in order */
  set?: Record<string, string | null>;
  /** extra header lines appended */
  add?: Head;
  body?: string;
  /** Content-Length value; default: the body length */
  cl?: string | null;
}

function text(s: Spec = {}): string {
  const method = s.method ?? 'INVITE';
  const head: Head = [];
  for (const [n, v] of BASE) {
    if (s.set && n in s.set) {
      const nv = s.set[n];
      if (nv !== null) head.push([n, nv]);
    } else head.push([n, n === 'CSeq' ? `314159 ${method}` : v]);
  }
  for (const h of s.add ?? []) head.push(h);
  const body = s.body ?? '';
  if (s.cl !== null) head.push(['Content-Length', s.cl ?? String(Buffer.byteLength(body))]);
  return `${method} ${s.uri ?? 'sip:bob@example.com'} ${s.version ?? 'SIP/2.0'}\r\n${head.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n${body}`;
}

const CTX: SanityContext = { proxyRequireSupported: [] };

function check(raw: string, ctx: SanityContext = CTX, limits?: Partial<ParseLimits>) {
  return checkRequest(parseMessage(Buffer.from(raw, 'latin1'), limits), ctx);
}

type Expect = { action: 'pass' } | { action: 'reply'; status: number; code: string } | { action: 'drop'; code?: string };

const manyVias: Head = Array.from({ length: 40 }, (_, i) => ['Via', `SIP/2.0/UDP 10.0.0.${i}:5060;branch=z9hG4bK${i}`] as [string, string]);

const CASES: Array<[string, string, Expect]> = [
  ['a well-formed INVITE', text(), { action: 'pass' }],
  ['a well-formed OPTIONS', text({ method: 'OPTIONS' }), { action: 'pass' }],
  ['a tel: Request-URI', text({ uri: 'tel:+15551234567' }), { action: 'pass' }],
  ['a sips: Request-URI', text({ uri: 'sips:bob@example.com' }), { action: 'pass' }],
  ['no Max-Forwards at all', text({ set: { 'Max-Forwards': null } }), { action: 'pass' }],
  ['a valid Expires', text({ method: 'REGISTER', add: [['Expires', '3600']] }), { action: 'pass' }],
  ['a body matching Content-Length', text({ body: 'v=0\r\n', add: [['Content-Type', 'application/sdp']] }), { action: 'pass' }],

  // missing headers: answered when there is a Via line to copy (RFC 4475 insuf), else dropped
  ['missing Call-ID', text({ set: { 'Call-ID': null } }), { action: 'reply', status: 400, code: 'sanity.missing_header' }],
  ['missing Via', text({ set: { Via: null } }), { action: 'drop', code: 'sanity.missing_via' }],
  ['missing From', text({ set: { From: null } }), { action: 'reply', status: 400, code: 'sanity.missing_header' }],
  ['missing To', text({ set: { To: null } }), { action: 'reply', status: 400, code: 'sanity.missing_header' }],
  ['missing CSeq', text({ set: { CSeq: null } }), { action: 'reply', status: 400, code: 'sanity.missing_header' }],
  ['missing To, From, Call-ID and Max-Forwards', text({ set: { To: null, From: null, 'Call-ID': null, 'Max-Forwards': null } }), { action: 'reply', status: 400, code: 'sanity.missing_header' }],
  // an unusable top Via: answered to the source address (the proxy's job)
  ['an unroutable top Via', text({ set: { Via: 'garbage' } }), { action: 'reply', status: 400, code: 'sanity.bad_top_via' }],
  ['a Via of empty params only', text({ set: { Via: 'SIP/2.0/UDP 192.0.2.1;;;;' } }), { action: 'reply', status: 400, code: 'sanity.bad_top_via' }],
  ['an ACK with an unroutable top Via', text({ method: 'ACK', set: { Via: 'garbage' } }), { action: 'drop', code: 'sanity.bad_ack' }],
  ['an empty message', '', { action: 'drop', code: 'sanity.empty' }],
  ['line breaks only', '\r\n\r\n', { action: 'drop', code: 'sanity.empty' }],
  ['plain garbage', 'hello world\r\n\r\n', { action: 'drop', code: 'sanity.unparsable' }],
  ['SIP/3.0 request line', text({ version: 'SIP/3.0' }), { action: 'reply', status: 505, code: 'sanity.bad_version' }],
  ['SIP/7.0 request line and Via', text({ version: 'SIP/7.0', set: { Via: 'SIP/7.0/UDP 192.0.2.1;branch=z9hG4bKx' } }), { action: 'reply', status: 505, code: 'sanity.bad_version' }],
  ['a malformed response', 'SIP/2.0 99 Nope\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\r\n', { action: 'drop', code: 'sanity.bad_response' }],
  ['an ACK with a CSeq method mismatch', text({ method: 'ACK', set: { CSeq: '314159 INVITE' } }).replace('CSeq: 314159 INVITE', 'CSeq: 314159 BYE'), { action: 'drop', code: 'sanity.bad_ack' }],
  ['an ACK with Max-Forwards 0', text({ method: 'ACK', set: { 'Max-Forwards': '0' } }), { action: 'drop', code: 'sanity.bad_ack' }],

  // maxfwd
  ['Max-Forwards 0', text({ set: { 'Max-Forwards': '0' } }), { action: 'reply', status: 483, code: 'sanity.too_many_hops' }],
  ['Max-Forwards 0 on OPTIONS to someone else', text({ method: 'OPTIONS', set: { 'Max-Forwards': '0' } }), { action: 'reply', status: 483, code: 'sanity.too_many_hops' }],
  ['Max-Forwards 256', text({ set: { 'Max-Forwards': '256' } }), { action: 'reply', status: 400, code: 'sanity.bad_max_forwards' }],
  ['Max-Forwards -1', text({ set: { 'Max-Forwards': '-1' } }), { action: 'reply', status: 400, code: 'sanity.bad_max_forwards' }],
  ['Max-Forwards not a number', text({ set: { 'Max-Forwards': 'ten' } }), { action: 'reply', status: 400, code: 'sanity.bad_max_forwards' }],
  ['two Max-Forwards', text({ add: [['Max-Forwards', '69']] }), { action: 'reply', status: 400, code: 'sanity.bad_max_forwards' }],
  ['40 Via values', text({ add: manyVias }), { action: 'reply', status: 483, code: 'sanity.too_many_vias' }],

  // URIs
  ['an http: Request-URI', text({ uri: 'http://example.com/x' }), { action: 'reply', status: 416, code: 'sanity.unsupported_scheme' }],
  ['a malformed sip: Request-URI', text({ uri: 'sip:bob@[::1' }), { action: 'reply', status: 400, code: 'sanity.bad_ruri' }],
  ['a From with an http URI (legal absoluteURI)', text({ set: { From: '<http://example.com>;tag=1' } }), { action: 'pass' }],
  ['To isbn:, From http:, Contact name: (RFC 4475 unksm2)', text({ method: 'REGISTER', set: { To: 'isbn:2983792873', From: '<http://www.example.com>;tag=3234233', Contact: '<name:John_Smith>' } }), { action: 'pass' }],
  ['a From whose scheme starts with a digit', text({ set: { From: '<1http:example.com>;tag=1' } }), { action: 'reply', status: 400, code: 'sanity.bad_from' }],
  ['an unparsable From', text({ set: { From: '"unterminated <sip:a@b>;tag=1' } }), { action: 'reply', status: 400, code: 'sanity.bad_from' }],
  ['a To with a malformed URI', text({ set: { To: '<sip:bob@[::1>' } }), { action: 'reply', status: 400, code: 'sanity.bad_to' }],

  // duplicates
  ['two From headers', text({ add: [['From', '<sip:mallory@example.com>;tag=2']] }), { action: 'reply', status: 400, code: 'sanity.duplicate_from' }],
  ['two To headers', text({ add: [['To', '<sip:carol@example.com>']] }), { action: 'reply', status: 400, code: 'sanity.duplicate_to' }],
  ['two Call-ID headers', text({ add: [['Call-ID', 'other@x']] }), { action: 'reply', status: 400, code: 'sanity.duplicate_call_id' }],
  ['two CSeq headers', text({ add: [['CSeq', '1 INVITE']] }), { action: 'reply', status: 400, code: 'sanity.duplicate_cseq' }],

  // CSeq
  ['a CSeq without a number', text({ set: { CSeq: 'abc INVITE' } }), { action: 'reply', status: 400, code: 'sanity.bad_cseq' }],
  ['a CSeq number of 2^31', text({ set: { CSeq: '2147483648 INVITE' } }), { action: 'reply', status: 400, code: 'sanity.bad_cseq' }],
  ['a CSeq method mismatch', text({ set: { CSeq: '1 BYE' } }), { action: 'reply', status: 400, code: 'sanity.cseq_method_mismatch' }],

  // Content-Length
  ['a body shorter than Content-Length', text({ body: 'v=0\r\n', cl: '50' }), { action: 'reply', status: 400, code: 'sanity.content_length_mismatch' }],
  ['a Content-Length that is not a number', text({ cl: 'ten' }), { action: 'reply', status: 400, code: 'sanity.bad_content_length' }],
  ['two different Content-Length values', text({ add: [['Content-Length', '5']] }), { action: 'reply', status: 400, code: 'sanity.bad_content_length' }],

  // other headers
  ['an Expires that is not a number', text({ method: 'REGISTER', add: [['Expires', 'soon']] }), { action: 'reply', status: 400, code: 'sanity.bad_expires' }],
  ['an Expires above 2^32', text({ method: 'REGISTER', add: [['Expires', '99999999999']] }), { action: 'reply', status: 400, code: 'sanity.bad_expires' }],
  ['a malformed second Via', text({ add: [['Via', 'not a via']] }), { action: 'reply', status: 400, code: 'sanity.bad_via' }],
  ['a malformed Contact', text({ set: { Contact: '<sip:alice@192.0.2.1' } }), { action: 'reply', status: 400, code: 'sanity.bad_header' }],
  ['a control character in a header', text({ add: [['Subject', 'hi\x01there']] }), { action: 'reply', status: 400, code: 'sanity.bad_header' }],

  // Proxy-Require
  ['an unsupported Proxy-Require', text({ add: [['Proxy-Require', 'foo']] }), { action: 'reply', status: 420, code: 'sanity.bad_extension' }],
];

describe('checkRequest', () => {
  it.each(CASES)('%s', (_name, raw, want) => {
    const v = check(raw);
    expect(v.action).toBe(want.action);
    if (want.action === 'reply' && v.action === 'reply') {
      expect({ status: v.status, code: v.code }).toEqual({ status: want.status, code: want.code });
      expect(v.reason).toBe(v.rejection.reason);
      expect(v.request.isRequest).toBe(true);
    }
    if (want.action === 'drop' && want.code !== undefined && v.action === 'drop') expect(v.code).toBe(want.code);
  });

  it('answers 513 when a too-large request still has readable headers', () => {
    const v = check(text({ body: 'x'.repeat(2000) }), CTX, { maxMessageBytes: 1500 });
    expect(v).toMatchObject({ action: 'reply', status: 513, reason: 'Message Too Large', code: 'sanity.oversize' });
  });

  it('drops a too-large message whose headers were cut off', () => {
    // Call-ID and CSeq come after 3000 bytes of padding, beyond the 1000-byte cap
    const raw = text({ set: { 'Call-ID': null, CSeq: null }, add: [['X-Pad', 'p'.repeat(3000)], ['Call-ID', 'late@x'], ['CSeq', '1 INVITE']] });
    expect(check(raw, CTX, { maxMessageBytes: 1000 }).action).toBe('drop');
  });

  it('lets OPTIONS with Max-Forwards 0 through when it is addressed to this node', () => {
    const raw = text({ method: 'OPTIONS', uri: 'sip:10.0.0.1:5060', set: { 'Max-Forwards': '0' } });
    const ctx: SanityContext = { proxyRequireSupported: [], isSelf: (m) => m.requestUri()?.host === '10.0.0.1' };
    expect(check(raw, ctx)).toEqual({ action: 'pass' });
    expect(check(raw.replace(/^OPTIONS/, 'INVITE').replace('314159 OPTIONS', '314159 INVITE'), ctx)).toMatchObject({ status: 483 });
  });

  it('answers 420 with an Unsupported header naming every unknown option, and accepts configured ones', () => {
    const raw = text({ add: [['Proxy-Require', 'foo, Bar'], ['Proxy-Require', 'baz']] });
    const v = check(raw, { proxyRequireSupported: resolveSanityConfig({ proxyRequireSupported: ['BAZ'] }).proxyRequireSupported });
    expect(v.action).toBe('reply');
    if (v.action !== 'reply') return;
    expect(v.headers).toEqual([['Unsupported', 'foo, Bar']]);
    const res = createResponse(v.request, v.status, v.reason, { headers: v.headers ?? [] }).serialize().toString('latin1');
    expect(res.startsWith('SIP/2.0 420 Bad Extension\r\n')).toBe(true);
    expect(res).toContain('Unsupported: foo, Bar\r\n');
    expect(check(raw, { proxyRequireSupported: ['foo', 'bar', 'baz'] })).toEqual({ action: 'pass' });
  });

  it('builds a routable 400 from the partial request of a parse failure', () => {
    const v = check(text({ add: [['From', '<sip:x@y>;tag=2']] }));
    if (v.action !== 'reply') throw new Error('expected a reply');
    const res = createResponse(v.request, v.status, v.reason).serialize().toString('latin1');
    expect(res.startsWith('SIP/2.0 400 Bad Request - Duplicate From\r\n')).toBe(true);
    expect(res).toContain('Call-ID: a84b4c76e66710@192.0.2.1');
  });

  it('passes parsed responses (transactions handle them)', () => {
    const r = parseMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n'));
    expect(checkRequest(r, CTX)).toEqual({ action: 'pass' });
  });

  it('accepts a ParseResult, the message or the ParseError alike', () => {
    const ok = parseMessage(Buffer.from(text({ set: { 'Max-Forwards': '0' } })));
    if (!ok.ok) throw new Error('should parse');
    expect(checkRequest(ok.msg as SipMessage, CTX)).toMatchObject({ status: 483 });
    const bad = parseMessage(Buffer.from(text({ set: { CSeq: '1 BYE' } })));
    if (bad.ok) throw new Error('should not parse');
    expect(checkRequest(bad.error, CTX)).toMatchObject({ code: 'sanity.cseq_method_mismatch' });
  });

  it('never reflects message text in the reason phrase', () => {
    expect(check(text({ uri: 'evil:<script>' }))).toMatchObject({ action: 'reply', status: 416, reason: 'Unsupported URI Scheme' });
  });
});

describe('parse error mapping', () => {
  it('answers with the status libs/sip PARSE_ERRORS gives, and drops what it marks as drop', () => {
    for (const code of PARSE_ERROR_CODES) {
      const rej = PARSE_REJECTION[code];
      const theirs = PARSE_ERRORS[code].status;
      if (rej.status !== 'drop') expect([code, rej.status]).toEqual([code, theirs]);
      if (theirs === 0) expect([code, rej.status]).toEqual([code, 'drop']);
    }
  });
});

describe('maxfwd helpers', () => {
  it('classifies Max-Forwards values', () => {
    expect([undefined, 70, 0, 256, -1, NaN, 1.5].map(checkMaxForwards)).toEqual(['ok', 'ok', 'exhausted', 'malformed', 'malformed', 'malformed', 'malformed']);
  });

  it('decrements, caps at the limit, and sets the default when absent', () => {
    const cfg = resolveSanityConfig({ maxForwardsDefault: 70, maxForwardsLimit: 30 });
    expect(forwardedMaxForwards(70, cfg)).toBe(30);
    expect(forwardedMaxForwards(10, cfg)).toBe(9);
    expect(forwardedMaxForwards(1, cfg)).toBe(0);
    expect(forwardedMaxForwards(undefined, cfg)).toBe(30);
  });

  it('refuses a bad config, listing every problem', () => {
    expect(() => resolveSanityConfig({ maxForwardsDefault: 0, maxForwardsLimit: 300, proxyRequireSupported: ['a b'] })).toThrow(
      /proxyRequireSupported[\s\S]*maxForwardsDefault[\s\S]*maxForwardsLimit/,
    );
  });
});
