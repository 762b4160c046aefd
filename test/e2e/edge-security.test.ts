// Secfilter and header hygiene on a node process: scanners and SQL-injection
// attempts never reach a gateway; what a gateway says about itself (Server,
// X-Asterisk-*) never reaches the caller.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage, createResponse } from '#libs/sip';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { RawSipPeer } from '../robustness/sip-client.ts';

let node: SbcNodeHandle;
let gateway: Socket;
const reachedGateway: string[] = [];

beforeAll(async () => {
  gateway = createSocket('udp4');
  await new Promise<void>((r) => gateway.bind(0, '127.0.0.1', () => r()));
  // a gateway that answers every INVITE 486 and talks too much about itself
  gateway.on('message', (m, rinfo) => {
    const r = parseMessage(m);
    if (!r.ok || !r.msg.isRequest) return;
    reachedGateway.push(r.msg.callId() ?? '');
    if (r.msg.method !== 'INVITE') return;
    const res = createResponse(r.msg, 486, 'Busy Here', { toTag: 'gw', headers: [['Server', 'Asterisk PBX 18.2.0'], ['X-Asterisk-HangupCause', 'User busy'], ['Warning', '399 10.0.0.5 "internal detail"']] });
    gateway.send(res.serialize(), rinfo.port, rinfo.address);
  });
  node = await startSbcNode({ gateways: [{ host: '127.0.0.1', port: gateway.address().port }], config: { log: { level: 'warn' }, secfilter: { enabled: true } } });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  gateway?.close();
});

let n = 0;
function invite(port: number, opts: { ua?: string; fromUser?: string } = {}): { data: Buffer; callId: string } {
  const callId = `edge-${process.pid}-${++n}@127.0.0.1`;
  const lines = [
    `INVITE sip:100@127.0.0.1:${node.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-edge-${n};rport`,
    `From: <sip:${opts.fromUser ?? 'alice'}@example.com>;tag=e${n}`,
    `To: <sip:100@127.0.0.1>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
    ...(opts.ua ? [`User-Agent: ${opts.ua}`] : []),
    'Content-Length: 0',
    '', '',
  ];
  return { data: Buffer.from(lines.join('\r\n')), callId };
}

describe('edge security on a node', () => {
  it('drops a SIPVicious scanner before it reaches a gateway', async () => {
    const peer = await RawSipPeer.open('udp', node.host, node.port);
    const req = invite(peer.localPort, { ua: 'friendly-scanner' });
    await peer.send(req.data);
    expect(await peer.waitFor(req.callId, 700)).toBeUndefined();
    expect(reachedGateway).not.toContain(req.callId);
    peer.close();
  });

  it('refuses a SQL-injection-looking From user', async () => {
    const peer = await RawSipPeer.open('udp', node.host, node.port);
    const req = invite(peer.localPort, { fromUser: "1'or'1'='1" });
    await peer.send(req.data);
    await new Promise((r) => setTimeout(r, 500));
    expect(reachedGateway).not.toContain(req.callId);
    for (const m of peer.inbox.filter((x) => x.callId() === req.callId)) expect(m.status).toBeGreaterThanOrEqual(400);
    peer.close();
  });

  it('absorbs the ACK for a reply it sent without a transaction', async () => {
    const metrics = async () => (await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text());
    const notHere = async () => Number(/sbc_sip_rejected_total\{reason="not_here"[^}]*\} (\d+)/.exec(await metrics())?.[1] ?? '0');
    const peer = await RawSipPeer.open('udp', node.host, node.port);
    const req = invite(peer.localPort);
    const text = req.data.toString('latin1').replace('Max-Forwards: 70', 'Max-Forwards: 0');
    await peer.send(Buffer.from(text, 'latin1'));
    const tooMany = await peer.waitFor(req.callId, 2000);
    expect(tooMany?.status).toBe(483);
    const toTag = tooMany!.toTag();
    expect(toTag).toMatch(/^sbcsl-/);
    const before = await notHere();
    const rejectedBefore = /sbc_sip_rejected_total/.test(await metrics()) ? (await metrics()).match(/^sbc_sip_rejected_total\{[^}]*\} \d+/gm)!.reduce((n, l) => n + Number(l.split(' ').pop()), 0) : 0;
    const ack = text.replace(/^INVITE/, 'ACK').replace('CSeq: 1 INVITE', 'CSeq: 1 ACK').replace('To: <sip:100@127.0.0.1>', `To: <sip:100@127.0.0.1>;tag=${toTag}`).replace('Max-Forwards: 0', 'Max-Forwards: 70');
    await peer.send(Buffer.from(ack, 'latin1'));
    await new Promise((r) => setTimeout(r, 200));
    expect(await notHere()).toBe(before);
    // and it was not refused under any other reason either
    const rejectedAfter = (await metrics()).match(/^sbc_sip_rejected_total\{[^}]*\} \d+/gm)!.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(rejectedAfter).toBe(rejectedBefore);
    expect(reachedGateway).not.toContain(req.callId);
    peer.close();
  });

  it('relays a normal call and strips what the gateway says about itself', async () => {
    const peer = await RawSipPeer.open('udp', node.host, node.port);
    const req = invite(peer.localPort, { ua: 'Yealink SIP-T46S 66.86.0.15' });
    await peer.send(req.data);
    const deadline = Date.now() + 3000;
    while (!peer.inbox.some((m) => m.callId() === req.callId && m.status === 486) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const busy = peer.inbox.find((m) => m.callId() === req.callId && m.status === 486);
    expect(reachedGateway).toContain(req.callId);
    expect(busy).toBeDefined();
    expect(busy!.header('server')).toBeUndefined();
    expect(busy!.header('x-asterisk-hangupcause')).toBeUndefined();
    expect(busy!.header('warning')).toBeUndefined();
    peer.close();
  });
});
