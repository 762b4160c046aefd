import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../test/harness/index.ts';
import { resolveTransportConfig, TransportError, TRANSPORT_METRICS } from './index.ts';
import { metricValue, sipRequest, startLayer, udpPeer, type Harness } from './test-helpers.ts';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function layer(...args: Parameters<typeof startLayer>): Promise<Harness> {
  const h = await startLayer(...args);
  open.push(h.layer);
  return h;
}

describe('UDP', () => {
  it('delivers a datagram as one message with remote and local info, and sends back from the same socket', async () => {
    const h = await layer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }] });
    const local = h.layer.sockets[0];
    expect(local.port).toBeGreaterThan(0);
    expect(local.id).toBe(`udp:127.0.0.1:${local.port}`);
    const peer = await udpPeer();
    open.push({ close: () => peer.sock.close() });
    const req = sipRequest('OPTIONS', 'u1');
    peer.sock.send(req, local.port, '127.0.0.1');
    await waitUntil(() => h.inbox.length === 1);
    const m = h.inbox[0];
    expect(m.data.toString()).toBe(req);
    expect(m.remote).toEqual({ proto: 'udp', address: '127.0.0.1', port: peer.port, family: 'IPv4' });
    expect(m.local).toBe(local);

    const res = Buffer.from('SIP/2.0 200 OK\r\n\r\n');
    expect(h.layer.send({ proto: 'udp', host: '127.0.0.1', port: peer.port }, res)).toBeUndefined();
    await waitUntil(() => peer.got.length === 1);
    expect(peer.got[0].data.equals(res)).toBe(true);
    expect(peer.got[0].port).toBe(local.port); // our source is the listen socket
    expect(await metricValue(h.registry, TRANSPORT_METRICS.messages, { proto: 'udp', direction: 'in' })).toBe(1);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.messages, { proto: 'udp', direction: 'out' })).toBe(1);
  });

  it('works over IPv6 ::1 and picks the socket of the target family', async () => {
    const h = await layer({
      listen: [
        { proto: 'udp', host: '127.0.0.1', port: 0 },
        { proto: 'udp', host: '::1', port: 0 },
      ],
    });
    const v6 = h.layer.sockets[1];
    expect(v6.family).toBe('IPv6');
    expect(v6.id).toBe(`udp:[::1]:${v6.port}`);
    const peer = await udpPeer('::1');
    open.push({ close: () => peer.sock.close() });
    peer.sock.send(sipRequest('OPTIONS', 'u6'), v6.port, '::1');
    await waitUntil(() => h.inbox.length === 1);
    expect(h.inbox[0].remote).toMatchObject({ address: '::1', family: 'IPv6', port: peer.port });
    expect(h.inbox[0].local).toBe(v6);

    expect(h.layer.selectSocket({ proto: 'udp', host: '[::1]', port: 5060 })).toBe(v6);
    expect(h.layer.selectSocket({ proto: 'udp', host: '127.0.0.1', port: 5060 })).toBe(h.layer.sockets[0]);
    h.layer.send({ proto: 'udp', host: '[::1]', port: peer.port }, Buffer.from('x-v6'));
    await waitUntil(() => peer.got.length === 1);
    expect(peer.got[0].port).toBe(v6.port);
  });

  it('ignores CRLF keep-alive datagrams', async () => {
    const h = await layer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }] });
    const peer = await udpPeer();
    open.push({ close: () => peer.sock.close() });
    const port = h.layer.sockets[0].port;
    peer.sock.send('\r\n\r\n', port, '127.0.0.1');
    peer.sock.send(sipRequest('OPTIONS', 'after-ping'), port, '127.0.0.1');
    await waitUntil(() => h.inbox.length === 1);
    expect(h.inbox[0].data.toString()).toContain('Call-ID: after-ping');
  });

  it('survives a throwing and a rejecting handler, counting both', async () => {
    const h = await layer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }] });
    let calls = 0;
    h.layer.onMessage((m) => {
      calls++;
      if (m.data.toString().includes('sync')) throw new Error('boom');
      return Promise.reject(new Error('async boom'));
    });
    const peer = await udpPeer();
    open.push({ close: () => peer.sock.close() });
    const port = h.layer.sockets[0].port;
    peer.sock.send(sipRequest('OPTIONS', 'sync'), port, '127.0.0.1');
    peer.sock.send(sipRequest('OPTIONS', 'async'), port, '127.0.0.1');
    await waitUntil(async () => (await metricValue(h.registry, TRANSPORT_METRICS.errors, { reason: 'handler' })) === 2);
    expect(calls).toBe(2);
  });

  it('reports the advertised address (load balancer / Service), defaulting to the bound one', async () => {
    const h = await layer({
      listen: [
        { proto: 'udp', host: '127.0.0.1', port: 0, advertise: { host: 'sbc.example.net', port: 5060 } },
        { proto: 'udp', host: '0.0.0.0', port: 0, advertise: { host: '203.0.113.7' } },
        { proto: 'tcp', host: '127.0.0.1', port: 0 },
      ],
    });
    const [lb, wild, plain] = h.layer.sockets;
    expect(lb).toMatchObject({ advertisedHost: 'sbc.example.net', advertisedPort: 5060 });
    expect(wild).toMatchObject({ host: '0.0.0.0', advertisedHost: '203.0.113.7', advertisedPort: wild.port });
    expect(plain).toMatchObject({ proto: 'tcp', advertisedHost: '127.0.0.1', advertisedPort: plain.port });
    expect(h.layer.socket(lb.id)).toBe(lb);
  });

  it('rejects a send with no socket for the target, without crashing fire-and-forget callers', async () => {
    const h = await layer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }] });
    const p = h.layer.send({ proto: 'udp', host: '::1', port: 5060 }, Buffer.from('x'));
    await expect(p).rejects.toBeInstanceOf(TransportError);
    await expect(p).rejects.toMatchObject({ code: 'no_socket' });
    void h.layer.send({ proto: 'tcp', host: '127.0.0.1', port: 5060 }, Buffer.from('x')); // nobody awaits: must stay handled
    await expect(h.layer.send({ proto: 'udp', host: '127.0.0.1', port: 5060 }, Buffer.from('x'), 'udp:10.9.9.9:5060')).rejects.toMatchObject({ code: 'no_socket' });
    expect(await metricValue(h.registry, TRANSPORT_METRICS.errors, { reason: 'no_socket' })).toBe(3);
  });

  it('closes every socket: the port can be bound again and sends are refused', async () => {
    const h = await startLayer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'tcp', host: '127.0.0.1', port: 0 }] });
    const [u, t] = h.layer.sockets;
    await h.layer.close();
    await h.layer.close(); // idempotent
    await expect(h.layer.send({ proto: 'udp', host: '127.0.0.1', port: 9 }, Buffer.from('x'))).rejects.toMatchObject({ code: 'closed' });
    const again = await layer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: u.port }, { proto: 'tcp', host: '127.0.0.1', port: t.port }] });
    expect(again.layer.sockets.map((s) => s.port)).toEqual([u.port, t.port]);
  });

  it('fails start cleanly when a port is taken, leaving nothing bound', async () => {
    const first = await layer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }] });
    const taken = first.layer.sockets[0].port;
    await expect(
      startLayer({ listen: [{ proto: 'tcp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '127.0.0.1', port: taken }] }),
    ).rejects.toThrow(/cannot bind udp 127\.0\.0\.1/);
  });
});

describe('transport config', () => {
  it('lists every problem at once, naming the option to fix', () => {
    expect(() =>
      resolveTransportConfig({
        listen: [
          { proto: 'udp', host: '0.0.0.0', port: 5060 },
          { proto: 'tcp', host: 'localhost', port: 70000 },
        ],
        tcp: { idleTimeoutMs: 0 },
      }),
    ).toThrow(/listen\[0\]: wildcard bind 0\.0\.0\.0 needs advertise\.host[\s\S]*listen\[1\]\.host[\s\S]*listen\[1\]\.port[\s\S]*tcp\.idleTimeoutMs/);
  });

  it('fills defaults and strips IPv6 brackets', () => {
    const c = resolveTransportConfig({ listen: [{ proto: 'udp', host: '[::1]', port: 5060 }] });
    expect(c.listen[0].host).toBe('::1');
    expect(c.tcp.idleTimeoutMs).toBeGreaterThan(0);
    expect(Object.isFrozen(c)).toBe(true);
  });
});
