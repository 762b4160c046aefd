// Issue 20: forged in-dialog requests. Nodes keep no dialog state, so an
// in-dialog request (To tag) from anyone carrying `Route: <sip:node;lr>,
// <sip:ANY;lr>` (or a Request-URI anywhere) used to be relayed, as Kamailio's
// loose_route does. With rr_sign the node signs the Record-Route it inserts
// (HMAC of Call-ID and ftag with the cluster secret) and refuses in-dialog
// requests whose Route to it carries no valid signature, unless the source is
// trusted. Through node processes: a real dialog works both ways; forged
// requests are refused 403 (ACKs dropped) and never reach the host they name;
// mode sign lets unsigned routes through (the rolling-upgrade grace).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponse, parseMessage, type SipMessage } from '#libs/sip';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';

const SECRET = 'forged-in-dialog-test-secret-0123456789';
const TRUSTED = '127.0.0.7';
const STRANGER = '127.0.0.9';

/** A UDP peer: records every request and response, answers requests 200 (INVITEs with the Record-Route copied, RFC 3261 §12.1.1). */
class Peer {
  readonly requests: SipMessage[] = [];
  readonly responses: SipMessage[] = [];
  private constructor(private readonly sock: Socket, readonly host: string, readonly port: number) {}

  static async open(host = '127.0.0.1'): Promise<Peer> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, host, () => r()));
    const p = new Peer(sock, host, sock.address().port);
    sock.on('message', (data, from) => p.take(data, from));
    return p;
  }

  private take(data: Buffer, from: RemoteInfo): void {
    const r = parseMessage(data);
    if (!r.ok) return;
    const msg = r.msg;
    if (!msg.isRequest) { this.responses.push(msg); return; }
    this.requests.push(msg);
    if (msg.method === 'ACK') return;
    const res = createResponse(msg, 200, 'OK', { toTag: 'peer' });
    const rr = msg.headerValues('record-route');
    if (msg.method === 'INVITE' && rr.length > 0) res.setHeader('Record-Route', rr.join(', '));
    res.setHeader('Contact', `<sip:peer@${this.host}:${this.port}>`);
    this.sock.send(res.serialize(), from.port, from.address);
  }

  send(lines: string[], to: { host: string; port: number }): void {
    this.sock.send(Buffer.from([...lines, 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'), to.port, to.host);
  }

  via(branch: string): string {
    return `Via: SIP/2.0/UDP ${this.host}:${this.port};branch=z9hG4bK-${branch};rport`;
  }

  async request(method: string, callId: string, timeoutMs = 5000): Promise<SipMessage> {
    return waitFor(() => this.requests.find((m) => m.method === method && m.callId() === callId), timeoutMs, `${method} ${callId} at ${this.port}`);
  }

  /** the final answer to the request `method` (any method when omitted) of this call */
  async final(callId: string, method?: string, timeoutMs = 5000): Promise<SipMessage> {
    return waitFor(() => this.responses.find((m) => m.callId() === callId && m.status >= 200 && (method === undefined || m.cseq()?.method === method)), timeoutMs, `final answer to ${method ?? 'a request'} of ${callId}`);
  }

  got(callId: string): boolean {
    return this.requests.some((m) => m.callId() === callId);
  }

  close(): void {
    this.sock.close();
  }
}

async function waitFor<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let gateway: Peer;
let victim: Peer;
let enforcing: SbcNodeHandle;
let grace: SbcNodeHandle;
const peers: Peer[] = [];

async function peer(host = '127.0.0.1'): Promise<Peer> {
  const p = await Peer.open(host);
  peers.push(p);
  return p;
}

beforeAll(async () => {
  gateway = await peer();
  victim = await peer();
  const node = (mode: string) => startSbcNode({
    gateways: [{ host: '127.0.0.1', port: gateway.port }],
    config: { log: { level: 'warn' }, rr_sign: { mode, secret: SECRET }, permissions: { trusted: [{ src_ip: TRUSTED, tag: 'edge' }] } },
  });
  [enforcing, grace] = await Promise.all([node('enforce'), node('sign')]);
}, 60_000);

afterAll(async () => {
  for (const p of peers) p.close();
  await Promise.all([enforcing?.stop(), grace?.stop()]);
});

let n = 0;
const at = (node: SbcNodeHandle) => ({ host: node.host, port: node.port });

/** An in-dialog request (To tag) with the Route set and Request-URI the sender chose. */
function inDialog(from: Peer, node: SbcNodeHandle, method: string, route: string, ruri: string, callId = `forged-${++n}-${Date.now()}`): string {
  from.send([
    `${method} ${ruri} SIP/2.0`, from.via(`${callId}-${method}`), `Route: ${route}`,
    `From: <sip:mallory@${from.host}>;tag=m${n}`, `To: <sip:someone@example.com>;tag=t${n}`, `Call-ID: ${callId}`, `CSeq: 2 ${method}`,
  ], at(node));
  return callId;
}

/** A call set up through `node`: its Call-ID and the Route set the caller uses (the Record-Route of the 200). */
async function call(caller: Peer, node: SbcNodeHandle): Promise<{ callId: string; route: string; sig: string }> {
  const callId = `call-${++n}-${Date.now()}`;
  caller.send([
    `INVITE sip:service@${node.host}:${node.port} SIP/2.0`, caller.via(`${callId}-inv`), `From: <sip:alice@${caller.host}>;tag=a${n}`,
    `To: <sip:service@${node.host}>`, `Call-ID: ${callId}`, 'CSeq: 1 INVITE', `Contact: <sip:alice@${caller.host}:${caller.port}>`,
  ], at(node));
  const atGw = await gateway.request('INVITE', callId).catch((e: Error) => { throw new Error(`${e.message}\n${node.logTail()}`); });
  const ok = await caller.final(callId, 'INVITE');
  expect(ok.status).toBe(200);
  const route = ok.headerValues('record-route').join(', ');
  const sig = /;rrs=([A-Za-z0-9_-]+)/.exec(route)?.[1] ?? '';
  expect(atGw.headerValues('record-route').join(', '), 'the gateway sees the signed Record-Route').toContain(`;rrs=${sig}`);
  return { callId, route, sig };
}

describe('rr_sign.mode enforce', () => {
  it('signs its Record-Route, and the dialog works both ways through it', async () => {
    const caller = await peer();
    const { callId, route, sig } = await call(caller, enforcing);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // caller -> gateway: Route from the 200, Request-URI the gateway's Contact
    caller.send([
      `BYE sip:peer@127.0.0.1:${gateway.port} SIP/2.0`, caller.via(`${callId}-bye`), `Route: ${route}`,
      `From: <sip:alice@${caller.host}>;tag=a${n}`, `To: <sip:service@${enforcing.host}>;tag=peer`, `Call-ID: ${callId}`, 'CSeq: 2 BYE',
    ], at(enforcing));
    await gateway.request('BYE', callId);
    expect((await caller.final(callId, 'BYE')).status).toBe(200);
    // gateway -> caller: the same signed entry, from the INVITE's Record-Route
    gateway.send([
      `INFO sip:alice@${caller.host}:${caller.port} SIP/2.0`, gateway.via(`${callId}-info`), `Route: ${route}`,
      `From: <sip:service@${enforcing.host}>;tag=peer`, `To: <sip:alice@${caller.host}>;tag=a${n}`, `Call-ID: ${callId}`, 'CSeq: 1 INFO',
    ], at(enforcing));
    await caller.request('INFO', callId);
  });

  it('refuses forged in-dialog requests with 403; the host they name gets nothing', async () => {
    const stranger = await peer(STRANGER);
    const caller = await peer();
    const { route, sig } = await call(caller, enforcing);
    const node = `<sip:${enforcing.host}:${enforcing.port};lr>`;
    const victimUri = `sip:x@127.0.0.1:${victim.port}`;
    const forged = [
      inDialog(stranger, enforcing, 'BYE', `${node}, <sip:127.0.0.1:${victim.port};lr>`, victimUri),
      inDialog(stranger, enforcing, 'INVITE', node, victimUri),
      // a signature lifted from a real dialog does not fit another Call-ID
      inDialog(stranger, enforcing, 'MESSAGE', route.replace(/>.*$/, `>, <sip:127.0.0.1:${victim.port};lr>`), victimUri),
      inDialog(stranger, enforcing, 'OPTIONS', `<sip:${enforcing.host}:${enforcing.port};lr;rrs=${sig.split('').reverse().join('')}>`, victimUri),
    ];
    for (const callId of forged) {
      const res = await stranger.final(callId);
      expect(res.status, enforcing.logTail()).toBe(403);
      expect(res.reason).toBe('Forbidden - Route Not Signed By Us');
    }
    const ack = inDialog(stranger, enforcing, 'ACK', node, victimUri);
    // a trusted peer's in-dialog request is relayed: it is the marker that the victim has had time to get the others
    const trusted = await peer(TRUSTED);
    const ok = inDialog(trusted, enforcing, 'BYE', node, victimUri);
    await victim.request('BYE', ok);
    expect((await trusted.final(ok, 'BYE')).status).toBe(200);
    for (const callId of [...forged, ack]) expect(victim.got(callId), callId).toBe(false);
    const text = await (await fetch(`http://${enforcing.host}:${enforcing.httpPort}/metrics`)).text();
    expect(Number(/^sbc_rr_sign_checks_total\{result="refused"[^}]*\} (\d+)/m.exec(text)?.[1])).toBe(5);
    expect(Number(/^sbc_rr_sign_checks_total\{result="trusted"[^}]*\} (\d+)/m.exec(text)?.[1])).toBe(1);
    expect(Number(/^sbc_sip_rejected_total\{reason="rr_sign_invalid"[^}]*\} (\d+)/m.exec(text)?.[1])).toBe(5);
  });
});

describe('rr_sign.mode sign (rolling-upgrade grace)', () => {
  it('relays an unsigned in-dialog route (a dialog from before signing) but refuses a wrong signature', async () => {
    const stranger = await peer(STRANGER);
    const node = `<sip:${grace.host}:${grace.port};lr>`;
    const unsigned = inDialog(stranger, grace, 'BYE', node, `sip:x@127.0.0.1:${victim.port}`);
    await victim.request('BYE', unsigned);
    const bad = inDialog(stranger, grace, 'BYE', `<sip:${grace.host}:${grace.port};lr;rrs=AAAAAAAAAAAAAAAA>`, `sip:x@127.0.0.1:${victim.port}`);
    expect((await stranger.final(bad, 'BYE')).status).toBe(403);
    const text = await (await fetch(`http://${grace.host}:${grace.httpPort}/metrics`)).text();
    expect(Number(/^sbc_rr_sign_checks_total\{result="unsigned_accepted"[^}]*\} (\d+)/m.exec(text)?.[1])).toBe(1);
  });
});
