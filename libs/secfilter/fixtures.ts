// Test fixtures: requests as scanners and real UAs send them, and a minimal
// RequestContext for running the step. Addresses are documentation ranges.
import type { RequestContext } from '#libs/proxy';
import { parseMessage, type SipMessage } from '#libs/sip';

/** Text with "\n" line ends -> parsed message (CRLF on the wire, Content-Length filled). */
export function sip(text: string, body = ''): SipMessage {
  const head = text.replace(/^\n/, '').replace(/\r?\n/g, '\r\n').replace('{CL}', String(Buffer.byteLength(body)));
  const res = parseMessage(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), Buffer.from(body)]));
  if (!res.ok) throw new Error(`fixture does not parse: ${res.error.code} ${res.error.detail}`);
  return res.msg;
}

export interface InviteOptions {
  ruri?: string;
  from?: string;
  to?: string;
  contact?: string;
  ua?: string | null;
  method?: string;
  toTag?: string;
}

/** An INVITE (or another method) with the given identities; `ua: null` leaves User-Agent out. */
export function request(o: InviteOptions = {}): SipMessage {
  const method = o.method ?? 'INVITE';
  const lines = [
    `${method} ${o.ruri ?? 'sip:+442079460000@sbc.example.net'} SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK776asdhds;rport',
    'Max-Forwards: 70',
    `From: ${o.from ?? '"Alice" <sip:alice@example.com>'};tag=1928301774`,
    `To: ${o.to ?? '<sip:+442079460000@sbc.example.net>'}${o.toTag !== undefined ? `;tag=${o.toTag}` : ''}`,
    'Call-ID: a84b4c76e66710@192.0.2.101',
    `CSeq: 314159 ${method}`,
    `Contact: ${o.contact ?? '<sip:alice@192.0.2.101:5060>'}`,
    ...(o.ua === null ? [] : [`User-Agent: ${o.ua ?? 'Yealink SIP-T46S 66.86.0.15'}`]),
    'Content-Length: {CL}',
    '',
  ];
  return sip(lines.join('\n'));
}

/** sipvicious svmap probe, as captured in the wild (note "; tag=" and the fake From host). */
export const SVMAP_OPTIONS = `
OPTIONS sip:100@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.66:5060;branch=z9hG4bK-1594556285;rport
Content-Length: 0
From: "sipvicious"<sip:100@1.1.1.1>; tag=6434396633623535313363340131363131353433343239
Accept: application/sdp
User-Agent: friendly-scanner
To: "sipvicious"<sip:100@1.1.1.1>
Contact: sip:100@198.51.100.66:5060
CSeq: 1 OPTIONS
Call-ID: 670437262924473432493281
Max-Forwards: 70
`;

/** sipvicious svwar extension enumeration. */
export const SVWAR_REGISTER = `
REGISTER sip:192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.66:5061;branch=z9hG4bK-3327813766;rport
Content-Length: 0
From: "1000"<sip:1000@192.0.2.10>; tag=323831393861646431336363
Accept: application/sdp
User-Agent: friendly-scanner
To: "1000"<sip:1000@192.0.2.10>
Contact: sip:123@1.1.1.1
CSeq: 1 REGISTER
Call-ID: 1581373052
Max-Forwards: 70
`;

/** sipcli toll-fraud probe: an international call attempt from a scanner host. */
export const SIPCLI_INVITE = `
INVITE sip:900972595551234@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.200:5071;branch=z9hG4bK-8d4e1b;rport
From: "100" <sip:100@192.0.2.10>;tag=as3f9d2c1
To: <sip:900972595551234@192.0.2.10>
Call-ID: 4f1a5b8b2c3e@203.0.113.200
CSeq: 1 INVITE
Contact: <sip:100@203.0.113.200:5071>
Max-Forwards: 70
User-Agent: sipcli/v1.8
Content-Length: 0
`;

/** SQL injection through the From header, the way scanners hit SIP-to-DB gateways. */
export const SQLI_REGISTER = `
REGISTER sip:192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.9:5060;branch=z9hG4bK-5f2e;rport
From: "1' or '1'='1" <sip:1%27%20or%201%3D1--@192.0.2.10>;tag=a1b2c3
To: <sip:1%27%20or%201%3D1--@192.0.2.10>
Call-ID: 88a1f0@198.51.100.9
CSeq: 1 REGISTER
Contact: <sip:1@198.51.100.9:5060>
Max-Forwards: 70
User-Agent: Z 3.15.40006 rv2.8.20
Content-Length: 0
`;

/** The context the step reads: message, source and in-dialog flag. */
export function contextOf(msg: SipMessage, address = '192.0.2.101'): RequestContext {
  const ctx = {
    msg,
    source: { proto: 'udp', address, port: 5060, family: address.includes(':') ? 'IPv6' : 'IPv4' },
    inDialog: msg.toTag() !== undefined,
  };
  return ctx as unknown as RequestContext;
}
