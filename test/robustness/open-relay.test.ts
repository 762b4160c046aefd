// Issue 20: no open relay. An initial request from an untrusted source whose
// Route set goes past the node to a host the sender chose is refused 403
// "Preload Route denied" and never reaches that host; a trusted source, or a
// Route to a dispatcher gateway, is relayed.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponse, parseMessage } from '#libs/sip';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { RawSipPeer } from './sip-client.ts';

/** a UDP peer answering 200 to every request and counting them */
async function answering(): Promise<{ sock: Socket; port: number; got: string[] }> {
  const sock = createSocket('udp4');
  const got: string[] = [];
  sock.on('message', (data, rinfo) => {
    const r = parseMessage(data);
    if (!r.ok || !r.msg.isRequest || r.msg.method === 'ACK') return;
    got.push(r.msg.callId() ?? '');
    sock.send(createResponse(r.msg, 200, 'OK', { toTag: 'x' }).serialize(), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, got };
}

let node: SbcNodeHandle;
let gateway: Awaited<ReturnType<typeof answering>>;
let victim: Awaited<ReturnType<typeof answering>>;
const TRUSTED = '127.0.0.7';
const STRANGER = '127.0.0.9';

beforeAll(async () => {
  gateway = await answering();
  victim = await answering();
  node = await startSbcNode({
    gateways: [{ host: '127.0.0.1', port: gateway.port }],
    transport: 'tcp',
    config: { log: { level: 'warn' }, permissions: { trusted: [{ src_ip: TRUSTED, tag: 'edge' }] } },
  });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  gateway?.sock.close();
  victim?.sock.close();
});

let n = 0;
function preloaded(method: string, peer: RawSipPeer, nextHop: string): { data: Buffer; callId: string } {
  const callId = `relay-${method}-${++n}-${Date.now()}`;
  const t = peer.proto.toUpperCase();
  return {
    callId,
    data: Buffer.from([
      `${method} sip:someone@${nextHop} SIP/2.0`,
      `Via: SIP/2.0/${t} ${peer.localAddress}:${peer.localPort};branch=z9hG4bK-${callId};rport`,
      `Route: <sip:${node.host}:${node.port};lr>, <sip:${nextHop};lr>`,
      'Max-Forwards: 70',
      `From: <sip:mallory@${peer.localAddress}>;tag=m${n}`,
      `To: <sip:someone@${nextHop}>`,
      `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`,
      ...(method === 'MESSAGE' ? ['Content-Type: text/plain', 'Content-Length: 2', '', 'hi'] : ['Content-Length: 0', '', '']),
    ].join('\r\n')),
  };
}

for (const proto of ['udp', 'tcp'] as const) {
  describe(`preloaded Route over ${proto.toUpperCase()}`, () => {
    it('refuses 20 OPTIONS/MESSAGE from a stranger routed to a host it chose; that host gets nothing', async () => {
      const peer = await RawSipPeer.open(proto, node.host, node.port, STRANGER);
      const before = victim.got.length;
      try {
        for (let i = 0; i < 20; i++) {
          const r = preloaded(i % 2 === 0 ? 'OPTIONS' : 'MESSAGE', peer, `127.0.0.1:${victim.port}`);
          await peer.send(r.data);
          const res = await peer.waitFor(r.callId, 5000);
          expect(res?.status).toBe(403);
          expect(res?.reason).toBe('Preload Route denied');
        }
      } finally {
        peer.close();
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(victim.got.length).toBe(before);
    });

    it('relays the same request from a trusted source, and a stranger\'s preloaded Route to a gateway', async () => {
      const trusted = await RawSipPeer.open(proto, node.host, node.port, TRUSTED);
      const stranger = await RawSipPeer.open(proto, node.host, node.port, STRANGER);
      try {
        const a = preloaded('OPTIONS', trusted, `127.0.0.1:${victim.port}`);
        await trusted.send(a.data);
        expect((await trusted.waitFor(a.callId, 5000))?.status).toBe(200);
        expect(victim.got).toContain(a.callId);
        const b = preloaded('MESSAGE', stranger, `127.0.0.1:${gateway.port}`);
        await stranger.send(b.data);
        expect((await stranger.waitFor(b.callId, 5000))?.status).toBe(200);
        expect(gateway.got).toContain(b.callId);
      } finally {
        trusted.close();
        stranger.close();
      }
    });
  });
}

it('counts the refusals in sbc_sip_rejected_total{reason="preload_route_denied"}', async () => {
  const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
  const m = /^sbc_sip_rejected_total\{reason="preload_route_denied"[^}]*\} (\d+)/m.exec(text);
  expect(Number(m?.[1])).toBe(40);
});
