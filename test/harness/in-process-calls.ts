// Whole calls pushed through an in-process node (startInProcessProxy), as
// the node's caller and gateway would send them: INVITE, the gateway's 100,
// 180 and 200, ACK, BYE and its 200. Used by bench/proxy.ts (CPU per call)
// and test/harness/tx-memory.ts (what an ended call leaves behind).
import { relayBranch } from '#libs/proxy';
import type { Via } from '#libs/sip';
import type { RemoteInfo } from '#libs/transport';

/** the node runs on 127.0.0.1:5060 (startInProcessProxy's sock), the caller sends from :5070, the node routes calls to the gateway on :5080 */
export const CALLER: RemoteInfo = { proto: 'udp', address: '127.0.0.1', port: 5070, family: 'IPv4' };
export const GATEWAY: RemoteInfo = { proto: 'udp', address: '127.0.0.1', port: 5080, family: 'IPv4' };

/** the Route a caller puts on in-dialog requests (rr_sign: a signed one) */
export type RouteOf = (callId: string, fromTag: string) => string;

export const SDP = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** the caller's top Via (what the node derives its relayed branch from), without parsing text */
const callerVia = (branch: string): Via => ({ protocol: 'SIP/2.0', transport: 'UDP', host: CALLER.address, port: CALLER.port, params: new Map([['branch', branch]]) });

/**
 * Call number i, start to end, delivered synchronously; the peers answer as
 * sipp does (no topology hiding: they see the node's Via and the caller's
 * Call-ID).
 */
export function wholeCall(d: (text: string, from: RemoteInfo) => void, i: number, routeOf?: RouteOf): void {
  const caller = CALLER;
  const gw = GATEWAY;
  const cid = `${i}-bench@127.0.0.1`;
  const b = `z9hG4bK-c${i}`;
  const cv = `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${b}`;
  const nb = relayBranch(callerVia(b), 0);
  const nv = `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=${nb};rport=5060`;
  const from = `From: sipp <sip:sipp@127.0.0.1:5070>;tag=${i}SIPpTag00`;
  const to = 'To: <sip:service@127.0.0.1:5060>';
  const route = routeOf !== undefined ? routeOf(cid, `${i}SIPpTag00`) : '<sip:127.0.0.1:5060;lr>';
  const rr = `Record-Route: ${route}`;
  d(`INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n${cv}\r\n${from}\r\n${to}\r\nCall-ID: ${cid}\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5070\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`, caller);
  const resp = (code: string, tag: string, extra = '', body = '') =>
    `SIP/2.0 ${code}\r\n${nv}\r\n${cv};received=127.0.0.1;rport=5070\r\n${from}\r\n${to}${tag}\r\nCall-ID: ${cid}\r\nCSeq: 1 INVITE\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
  d(resp('100 Trying', ''), gw);
  d(resp('180 Ringing', ';tag=gw1'), gw);
  d(resp('200 OK', ';tag=gw1', `${rr}\r\nContact: <sip:127.0.0.1:5080;transport=UDP>\r\nContent-Type: application/sdp\r\n`, SDP), gw);
  const inDialog = (method: string, cseq: number, branch: string) =>
    `${method} sip:127.0.0.1:5080;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}\r\n${from}\r\n${to};tag=gw1\r\nCall-ID: ${cid}\r\nRoute: ${route}\r\nCSeq: ${cseq} ${method}\r\nContact: sip:sipp@127.0.0.1:5070\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  d(inDialog('ACK', 1, `z9hG4bK-a${i}`), caller);
  const bb = `z9hG4bK-b${i}`;
  d(inDialog('BYE', 2, bb), caller);
  d(`SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=${relayBranch(callerVia(bb), 0)};rport=5060\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=${bb};received=127.0.0.1;rport=5070\r\n${from}\r\n${to};tag=gw1\r\nCall-ID: ${cid}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`, gw);
}

/** The value of the first `name:` line of a message text. */
function headerOf(text: string, name: string): string {
  const at = text.indexOf('\r\n' + name + ': ');
  if (at < 0) throw new Error(`bench peer: no ${name} in what the node sent`);
  const start = at + name.length + 4;
  return text.slice(start, text.indexOf('\r\n', start));
}

/** What a node sent last to each peer (latin1 text): the topoh peers answer from it. */
export interface LastSent {
  gw: string;
  caller: string;
}

/** an onSend that keeps `last` up to date (what went to the gateway's port, and to anywhere else: the caller) */
export function recordLastSent(last: LastSent): (to: { port: number }, data: Buffer) => void {
  return (to, data) => {
    if (to.port === GATEWAY.port) last.gw = data.toString('latin1');
    else last.caller = data.toString('latin1');
  };
}

/**
 * Call number i through a node that hides its topology, one function per
 * message: the peers answer what the node actually sent them (`last`, kept
 * up to date by the node's onSend), so each step reads it when it runs. The
 * gateway sees one Via and the masked Call-ID, the caller routes to the
 * Contact of the node's 200. Run them in a row (topohCall), or with a pause
 * between them where the node answers asynchronously (topos: the dialog
 * store).
 */
export function hiddenCallSteps(d: (text: string, from: RemoteInfo) => void, i: number, last: LastSent): (() => void)[] {
  const caller = CALLER;
  const gw = GATEWAY;
  const cid = `${i}-bench@127.0.0.1`;
  const cv = `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-c${i}`;
  const from = `From: sipp <sip:sipp@127.0.0.1:5070>;tag=${i}SIPpTag00`;
  const to = 'To: <sip:service@127.0.0.1:5060>';
  // what the gateway was sent (its one Via: the node's, the stack sealed in its branch; the masked
  // Call-ID; the Record-Route it echoes in its 200, as sipp does: topos sends none)
  let nv = '';
  let gcid = '';
  let rr = '';
  // where the caller sends in-dialog requests: the Contact of the 200 it got
  let target = '';
  const resp = (code: string, tag: string, extra = '', body = '') =>
    `SIP/2.0 ${code}\r\n${nv}\r\n${from}\r\n${to}${tag}\r\nCall-ID: ${gcid}\r\nCSeq: 1 INVITE\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
  const inDialog = (method: string, cseq: number, branch: string) =>
    `${method} ${target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=${branch}\r\n${from}\r\n${to};tag=gw1\r\nCall-ID: ${cid}\r\nRoute: <sip:127.0.0.1:5060;lr>\r\nCSeq: ${cseq} ${method}\r\nContact: sip:sipp@127.0.0.1:5070\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  return [
    () => d(`INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n${cv}\r\n${from}\r\n${to}\r\nCall-ID: ${cid}\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5070\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`, caller),
    () => {
      nv = 'Via: ' + headerOf(last.gw, 'Via');
      gcid = headerOf(last.gw, 'Call-ID');
      rr = last.gw.includes('\r\nRecord-Route: ') ? `Record-Route: ${headerOf(last.gw, 'Record-Route')}\r\n` : '';
      d(resp('100 Trying', ''), gw);
    },
    () => d(resp('180 Ringing', ';tag=gw1'), gw),
    () => d(resp('200 OK', ';tag=gw1', `${rr}Contact: <sip:127.0.0.1:5080;transport=UDP>\r\nContent-Type: application/sdp\r\n`, SDP), gw),
    () => {
      target = headerOf(last.caller, 'Contact').replace(/^<|>$/g, '');
      d(inDialog('ACK', 1, `z9hG4bK-a${i}`), caller);
    },
    () => d(inDialog('BYE', 2, `z9hG4bK-b${i}`), caller),
    () => d(`SIP/2.0 200 OK\r\nVia: ${headerOf(last.gw, 'Via')}\r\n${from}\r\n${to};tag=gw1\r\nCall-ID: ${gcid}\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`, gw),
  ];
}

/** Call number i with topoh, every message in a row (hiddenCallSteps). */
export function topohCall(d: (text: string, from: RemoteInfo) => void, i: number, last: LastSent): void {
  for (const step of hiddenCallSteps(d, i, last)) step();
}
