// Malformed and hostile SIP messages (RFC 4475 in spirit), each with what the
// node must do with it. `expect`: a status the node must answer with, 'none'
// when it must stay silent (drop), or 'any' when either is acceptable.
export interface HostileCase {
  name: string;
  /** builds the bytes; `t` is the transport token for Via, `dst` host:port of the node */
  build(t: string, dst: string): Buffer;
  expect: number | 'none' | 'any';
  /** only meaningful over this transport (framing cases) */
  only?: 'udp' | 'tcp';
}

let seq = 0;
const uniq = () => `${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

interface Parts { start?: string; headers?: (string | undefined)[]; body?: string; cl?: string | null }

/** A valid INVITE-ish request, with the parts a case wants changed. */
function request(t: string, dst: string, p: Parts = {}, method = 'INVITE'): Buffer {
  const u = uniq();
  const body = p.body ?? '';
  const base = [
    `Via: SIP/2.0/${t} 127.0.0.1:5999;branch=z9hG4bK-${u};rport`,
    `From: "Alice" <sip:alice@127.0.0.1>;tag=f-${u}`,
    `To: <sip:bob@${dst}>`,
    `Call-ID: hostile-${u}@127.0.0.1`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    `Contact: <sip:alice@127.0.0.1:5999;transport=${t.toLowerCase()}>`,
  ];
  const headers = p.headers ? p.headers.map((h, i) => (h === undefined ? base[i] : h)).filter((h) => h !== '') : base;
  if (p.cl !== null) headers.push(`Content-Length: ${p.cl ?? Buffer.byteLength(body)}`);
  const start = p.start ?? `${method} sip:bob@${dst} SIP/2.0`;
  return Buffer.from(`${start}\r\n${headers.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

/** Replace header i (0 Via, 1 From, 2 To, 3 Call-ID, 4 CSeq, 5 Max-Forwards, 6 Contact); '' removes it. */
function withHeader(i: number, value: string): (string | undefined)[] {
  const h: (string | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  h[i] = value;
  return h;
}

const raw = (s: string) => (): Buffer => Buffer.from(s, 'latin1');

export const HOSTILE_CASES: HostileCase[] = [
  { name: 'random binary junk', build: () => Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256)), expect: 'none' },
  { name: 'plain text, no SIP', build: raw('hello there\r\n\r\n'), expect: 'none' },
  { name: 'HTTP request', build: raw('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), expect: 'none' },
  { name: 'start line only', build: (t, d) => Buffer.from(`INVITE sip:bob@${d} SIP/2.0\r\n\r\n`), expect: 'none' },
  { name: 'missing Via', build: (t, d) => request(t, d, { headers: withHeader(0, '') }), expect: 'none' },
  { name: 'missing From', build: (t, d) => request(t, d, { headers: withHeader(1, '') }), expect: 'any' },
  { name: 'missing To', build: (t, d) => request(t, d, { headers: withHeader(2, '') }), expect: 'any' },
  { name: 'missing Call-ID', build: (t, d) => request(t, d, { headers: withHeader(3, '') }), expect: 'any' },
  { name: 'missing CSeq', build: (t, d) => request(t, d, { headers: withHeader(4, '') }), expect: 'any' },
  { name: 'CSeq not a number', build: (t, d) => request(t, d, { headers: withHeader(4, 'CSeq: abc INVITE') }), expect: 'any' },
  { name: 'CSeq method differs from the request line', build: (t, d) => request(t, d, { headers: withHeader(4, 'CSeq: 1 BYE') }), expect: 400 },
  { name: 'CSeq number over 2^31', build: (t, d) => request(t, d, { headers: withHeader(4, 'CSeq: 99999999999999999999 INVITE') }), expect: 'any' },
  { name: 'Max-Forwards 0', build: (t, d) => request(t, d, { headers: withHeader(5, 'Max-Forwards: 0') }), expect: 483 },
  { name: 'Max-Forwards 300', build: (t, d) => request(t, d, { headers: withHeader(5, 'Max-Forwards: 300') }), expect: 400 },
  { name: 'Max-Forwards negative', build: (t, d) => request(t, d, { headers: withHeader(5, 'Max-Forwards: -1') }), expect: 400 },
  { name: 'Max-Forwards not a number', build: (t, d) => request(t, d, { headers: withHeader(5, 'Max-Forwards: lots') }), expect: 400 },
  { name: 'http: Request-URI', build: (t, d) => request(t, d, { start: 'INVITE http://example.com/ SIP/2.0' }), expect: 416 },
  { name: 'unknown Proxy-Require', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'Proxy-Require: com.example.evil'] }), expect: 420 },
  { name: 'SIP/3.0 version', build: (t, d) => request(t, d, { start: `INVITE sip:bob@${d} SIP/3.0` }), expect: 'any' },
  { name: 'method with a space', build: (t, d) => request(t, d, { start: `IN VITE sip:bob@${d} SIP/2.0` }), expect: 'none' },
  { name: 'request line without URI', build: (t, d) => request(t, d, { start: 'INVITE SIP/2.0' }), expect: 'none' },
  { name: 'header line without a colon', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'This is not a header'] }), expect: 'any' },
  { name: 'NUL bytes in a header', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'Subject: a\0b\0c'] }), expect: 'any' },
  { name: 'header line of 20 KB', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, `Subject: ${'x'.repeat(20_000)}`] }), expect: 'any' },
  { name: '500 header lines', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, ...Array.from({ length: 500 }, (_, i) => `X-H${i}: ${i}`)] }), expect: 'any' },
  { name: 'Via stack 100 deep', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, ...Array.from({ length: 99 }, (_, i) => `Via: SIP/2.0/UDP 10.0.0.${i % 250}:5060;branch=z9hG4bK${i}`)] }), expect: 'any' },
  { name: 'message of 70 KB', build: (t, d) => request(t, d, { body: 'v=0\r\n' + 'a=x\r\n'.repeat(14_000) }), expect: 'any' },
  { name: 'Content-Length larger than the body', build: (t, d) => request(t, d, { body: 'v=0\r\n', cl: '500' }), expect: 'any', only: 'udp' },
  { name: 'Content-Length negative', build: (t, d) => request(t, d, { cl: '-5' }), expect: 'any' },
  { name: 'Content-Length not a number', build: (t, d) => request(t, d, { cl: 'ten' }), expect: 'any' },
  { name: 'Content-Length absurdly large', build: (t, d) => request(t, d, { cl: '99999999999999' }), expect: 'any' },
  { name: 'two conflicting Content-Length', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'Content-Length: 7'], body: '' }), expect: 'any' },
  { name: 'unterminated quoted display name', build: (t, d) => request(t, d, { headers: withHeader(1, `From: "Alice <sip:alice@127.0.0.1>;tag=x${uniq()}`) }), expect: 'any' },
  { name: 'From with an unclosed <', build: (t, d) => request(t, d, { headers: withHeader(1, `From: <sip:alice@127.0.0.1;tag=x${uniq()}`) }), expect: 'any' },
  { name: 'To URI unparsable', build: (t, d) => request(t, d, { headers: withHeader(2, 'To: <sip:@@@>') }), expect: 'any' },
  { name: 'Via without a host', build: (t, d) => request(t, d, { headers: withHeader(0, `Via: SIP/2.0/${t} ;branch=z9hG4bK${uniq()}`) }), expect: 400 }, // to the source address (RFC 4475: answer what can be answered)
  { name: 'Via port 99999', build: (t, d) => request(t, d, { headers: withHeader(0, `Via: SIP/2.0/${t} 127.0.0.1:99999;branch=z9hG4bK${uniq()}`) }), expect: 'any' },
  { name: 'Via branch without magic cookie, no rport', build: (t, d) => request(t, d, { headers: withHeader(0, `Via: SIP/2.0/${t} 127.0.0.1:5999;branch=${uniq()}`) }), expect: 'any' },
  { name: 'empty Call-ID', build: (t, d) => request(t, d, { headers: withHeader(3, 'Call-ID: ') }), expect: 400 },
  { name: 'bad %-escape in Request-URI', build: (t, d) => request(t, d, { start: `INVITE sip:b%zzob@${d} SIP/2.0` }), expect: 'any' },
  { name: 'unterminated IPv6 reference', build: (t, d) => request(t, d, { start: 'INVITE sip:bob@[::1 SIP/2.0' }), expect: 'any' },
  { name: 'method of 5000 characters', build: (t, d) => request(t, d, { start: `${'A'.repeat(5000)} sip:bob@${d} SIP/2.0` }), expect: 'any' },
  { name: 'Contact with 2000 commas', build: (t, d) => request(t, d, { headers: withHeader(6, `Contact: ${',<sip:a@b>'.repeat(2000).slice(1)}`) }), expect: 'any' },
  { name: 'duplicate To headers', build: (t, d) => request(t, d, { headers: [undefined, undefined, undefined, undefined, undefined, undefined, undefined, `To: <sip:mallory@${d}>`] }), expect: 400 },
  { name: 'response with status 99999', build: (t, d) => Buffer.from(`SIP/2.0 99999 Odd\r\nVia: SIP/2.0/${t} ${d};branch=z9hG4bK${uniq()}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: r${uniq()}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`), expect: 'none' },
  { name: 'stray 200 OK for no transaction', build: (t, d) => Buffer.from(`SIP/2.0 200 OK\r\nVia: SIP/2.0/${t} ${d};branch=z9hG4bK${uniq()}\r\nVia: SIP/2.0/${t} 127.0.0.1:5999;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r${uniq()}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`), expect: 'none' },
  { name: 'ACK missing CSeq', build: (t, d) => request(t, d, { headers: withHeader(4, '') }, 'ACK'), expect: 'none' },
  { name: 'CANCEL for an unknown INVITE', build: (t, d) => request(t, d, {}, 'CANCEL'), expect: 481 },
  { name: 'BYE out of any dialog (To tag, no Route)', build: (t, d) => request(t, d, { headers: withHeader(2, `To: <sip:bob@${d}>;tag=nodialog`) }, 'BYE'), expect: 404 },
  { name: 'bare LF line endings', build: (t, d) => Buffer.from(request(t, d, {}, 'OPTIONS').toString('latin1').replace(/\r\n/g, '\n'), 'latin1'), expect: 'any' },
  { name: 'CRLF keep-alive ping', build: raw('\r\n\r\n'), expect: 'none', only: 'udp' },
  { name: 'TCP: garbage with no end of headers over the buffer cap', build: () => Buffer.alloc(300_000, 'A'), expect: 'none', only: 'tcp' },
  { name: 'TCP: Content-Length over the message cap', build: (t, d) => request(t, d, { cl: '10000000' }), expect: 'any', only: 'tcp' },
  { name: 'TCP: three requests in one write, middle one broken', build: (t, d) => Buffer.concat([request(t, d, {}, 'OPTIONS'), Buffer.from('BROKEN\r\n\r\n'), request(t, d, {}, 'OPTIONS')]), expect: 'any', only: 'tcp' },
];
