// RFC 4475 torture cases a proxy must answer as the RFC says, written for
// this project in the spirit of intmeth, unksm2, insuf, badvers and of a Via
// and Contact made of empty parameters. Each builder takes the transport and
// the peer's own address so the Via routes the answer back to the test.
export interface TortureCase {
  name: string;
  build(t: 'UDP' | 'TCP', self: string, callId: string): Buffer;
  /** the status the node must answer with ('relayed': the gateway's 200 came back through the node) */
  expect: number | 'relayed';
}

const crlf = (lines: string[], body = ''): Buffer => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'latin1');

/** a quoted display name whose quoted-pairs escape BEL, NUL and DEL (legal: RFC 3261 quoted-pair) */
const ESCAPED_CONTROLS = '"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f"';
const ODD_METHOD = "!interesting-Method0123456789_*+`.%indeed'~";
const ODD_USER = "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*";

export const TORTURE_CASES: readonly TortureCase[] = [
  {
    name: 'extension method, unusual legal URI chars, To display name with escaped control chars (intmeth)',
    build: (t, self, callId) => crlf([
      `${ODD_METHOD} sip:${ODD_USER}:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0`,
      `Via: SIP/2.0/${t} ${self};branch=z9hG4bK-.!%66*_+\`'~${callId};rport`,
      `To: ${ESCAPED_CONTROLS} <sip:${ODD_USER}@example.com>`,
      `From: token1~\` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="\\"work\\"";tag=_token~1'+\`*%!-.`,
      `Call-ID: ${callId}`,
      `CSeq: 139122385 ${ODD_METHOD}`,
      'Max-Forwards: 255',
      "extensionHeader-!.%*+_`'~: extension header value",
      'Content-Length: 0',
    ]),
    expect: 'relayed',
  },
  {
    name: 'REGISTER with isbn:, http: and name: URIs in To, From, Contact (unksm2)',
    build: (t, self, callId) => crlf([
      'REGISTER sip:example.com SIP/2.0',
      'To: isbn:2983792873',
      'From: <http://www.example.com>;tag=3234233',
      `Call-ID: ${callId}`,
      'CSeq: 234902 REGISTER',
      'Max-Forwards: 70',
      `Via: SIP/2.0/${t} ${self};branch=z9hG4bKkdjuw-${callId};rport`,
      'Contact: <name:John_Smith>',
      'l: 0',
    ]),
    expect: 'relayed',
  },
  {
    name: 'Via of empty parameters only, Contact full of empty parameters: 400 to the source',
    build: (t, self, callId) => crlf([
      'OPTIONS sip:user@example.com SIP/2.0',
      `Via: SIP/2.0/${t} 192.0.2.1;;;;`,
      'Max-Forwards: 70',
      'From: <sip:caller@example.net>;tag=e1',
      'To: <sip:user@example.com>',
      `Call-ID: ${callId}`,
      'CSeq: 1 OPTIONS',
      'Contact: <sip:caller@192.0.2.1>;;;;;',
      'l: 0',
    ]),
    expect: 400,
  },
  {
    name: 'missing To, From, Call-ID and Max-Forwards: 400 (insuf)',
    build: (t, self) => crlf([
      'INVITE sip:user@example.com SIP/2.0',
      'CSeq: 193942 INVITE',
      `Via: SIP/2.0/${t} ${self};branch=z9hG4bK-insuf-${Date.now()};rport`,
      'Content-Type: application/sdp',
      'l: 0',
    ]),
    expect: 400,
  },
  {
    name: 'SIP/7.0 request line and Via: 505 to the source (badvers)',
    build: (_t, self, callId) => crlf([
      'OPTIONS sip:t.watson@example.org SIP/7.0',
      `Via:     SIP/7.0/UDP ${self};branch=z9hG4bK-badvers-${callId}`,
      'Max-Forwards:     70',
      'From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe',
      'To:      T. Watson <sip:t.watson@example.org>',
      `Call-ID: ${callId}`,
      'CSeq:    1 OPTIONS',
      'l: 0',
    ]),
    expect: 505,
  },
];
