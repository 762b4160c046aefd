import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../test/harness/index.ts';
import { TransportError, TRANSPORT_METRICS, type TcpOptions } from './index.ts';
import { metricValue, sipRequest, sleep, startLayer, tcpClient, type Harness } from './test-helpers.ts';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function tcpLayer(tcp: Partial<TcpOptions> = {}, host = '127.0.0.1'): Promise<Harness & { port: number }> {
  const h = await startLayer({ listen: [{ proto: 'tcp', host, port: 0 }], tcp });
  cleanup.push(() => h.layer.close());
  return { ...h, port: h.layer.sockets[0].port };
}

async function client(port: number, host = '127.0.0.1'): Promise<Awaited<ReturnType<typeof tcpClient>>> {
  const c = await tcpClient(port, host);
  cleanup.push(() => c.sock.destroy());
  return c;
}

/** A plain TCP server standing in for a gateway: records connections and bytes. */
async function peerServer(): Promise<{ server: Server; port: number; sockets: Socket[]; data: () => string }> {
  const sockets: Socket[] = [];
  let data = '';
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (c) => (data += c.toString('latin1')));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, sockets, data: () => data };
}

describe('TCP framing', () => {
  it('reassembles a message split across chunks', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    const msg = sipRequest('INVITE', 'split', 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n');
    const cuts = [10, 57, 140, msg.length - 3];
    let from = 0;
    for (const cut of [...cuts, msg.length]) {
      c.sock.write(msg.slice(from, cut));
      from = cut;
      await sleep(15);
      if (cut < msg.length) expect(h.inbox.length).toBe(0);
    }
    await waitUntil(() => h.inbox.length === 1);
    expect(h.inbox[0].data.toString('latin1')).toBe(msg);
    expect(h.inbox[0].remote).toMatchObject({ proto: 'tcp', address: '127.0.0.1', port: c.sock.localPort, family: 'IPv4' });
  });

  it('splits several messages (with bodies) arriving in one chunk, exactly at Content-Length', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    const a = sipRequest('INVITE', 'a', 'v=0\r\nbody-a\r\n');
    const b = sipRequest('OPTIONS', 'b');
    const d = sipRequest('MESSAGE', 'd', 'hello\r\n\r\nwith blank lines inside');
    c.sock.write(a + b + d);
    await waitUntil(() => h.inbox.length === 3);
    expect(h.inbox.map((m) => m.data.toString('latin1'))).toEqual([a, b, d]);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.messages, { proto: 'tcp', direction: 'in' })).toBe(3);
  });

  it('keeps messages intact when the tail of one and the head of the next share chunks', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    const msgs = Array.from({ length: 5 }, (_, i) => sipRequest('MESSAGE', `m${i}`, 'x'.repeat(100 + i * 37)));
    const all = msgs.join('');
    for (let i = 0; i < all.length; i += 333) {
      c.sock.write(all.slice(i, i + 333));
      await sleep(2);
    }
    await waitUntil(() => h.inbox.length === 5);
    expect(h.inbox.map((m) => m.data.toString('latin1'))).toEqual(msgs);
  });

  it('answers a CRLF ping with a pong and ignores a pong, keeping the connection', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    c.sock.write('\r\n\r\n');
    await waitUntil(() => c.received() === '\r\n');
    c.sock.write('\r\n');
    c.sock.write(sipRequest('OPTIONS', 'after-keepalive'));
    await waitUntil(() => h.inbox.length === 1);
    expect(h.inbox[0].data.toString()).toMatch(/^OPTIONS /);
    expect(c.received()).toBe('\r\n');
    expect(c.closed()).toBe(false);
  });

  it('closes a connection on a framing error and counts it', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    c.sock.write(sipRequest('OPTIONS', 'bad').replace('Content-Length: 0', 'Content-Length: lots'));
    await waitUntil(() => c.closed());
    expect(h.inbox.length).toBe(0);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.errors, { proto: 'tcp', reason: 'framing' })).toBe(1);
  });

  it('disconnects a peer exceeding the buffer cap without completing a message, logs and counts it', async () => {
    const h = await tcpLayer({ maxBufferBytes: 2_000 });
    const c = await client(h.port);
    c.sock.write('OPTIONS sip:x SIP/2.0\r\n');
    for (let i = 0; i < 40; i++) c.sock.write(`X-Junk-${i}: ${'j'.repeat(80)}\r\n`);
    await waitUntil(() => c.closed());
    expect(h.inbox.length).toBe(0);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.errors, { reason: 'buffer_overflow' })).toBe(1);
    expect(h.logs.some((l) => l.event === 'tcp_buffer_overflow' && l.src === '127.0.0.1')).toBe(true);
    await waitUntil(() => h.layer.tcpConnectionCount === 0);
  });

  it('closes an idle connection after the idle timeout', async () => {
    const h = await tcpLayer({ idleTimeoutMs: 150 });
    const c = await client(h.port);
    await waitUntil(() => h.layer.tcpConnectionCount === 1);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.tcpConnections)).toBe(1);
    await waitUntil(() => c.closed(), 3_000);
    await waitUntil(() => h.layer.tcpConnectionCount === 0);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.tcpConnections)).toBe(0);
  });

  it('works over IPv6 ::1', async () => {
    const h = await tcpLayer({}, '::1');
    expect(h.layer.sockets[0].id).toBe(`tcp:[::1]:${h.port}`);
    const c = await client(h.port, '::1');
    c.sock.write(sipRequest('OPTIONS', 'v6'));
    await waitUntil(() => h.inbox.length === 1);
    expect(h.inbox[0].remote).toMatchObject({ address: '::1', family: 'IPv6' });
    await h.layer.send({ proto: 'tcp', host: '[::1]', port: c.sock.localPort! }, Buffer.from('SIP/2.0 200 OK\r\n\r\n'));
    await waitUntil(() => c.received().startsWith('SIP/2.0 200 OK'));
  });
});

describe('TCP connection reuse', () => {
  it('sends the response back on the connection the request came in on', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    h.layer.onMessage(async (m) => {
      await h.layer.send({ proto: 'tcp', host: m.remote.address, port: m.remote.port }, Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'));
    });
    c.sock.write(sipRequest('OPTIONS', 'reuse'));
    await waitUntil(() => c.received().startsWith('SIP/2.0 200 OK'));
    expect(h.layer.tcpConnectionCount).toBe(1);
    expect(h.layer.tcpConnections()[0].direction).toBe('in');
  });

  it('respond() uses the request connection while open, and the Via target once it is gone', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    c.sock.write(sipRequest('OPTIONS', 'respond'));
    await waitUntil(() => h.inbox.length === 1);
    const req = h.inbox[0];
    const peer = await peerServer();
    const via = { proto: 'tcp' as const, host: '127.0.0.1', port: peer.port };
    await h.layer.respond(req, Buffer.from('SIP/2.0 100 Trying\r\n\r\n'), via);
    await waitUntil(() => c.received().includes('100 Trying'));
    expect(peer.sockets.length).toBe(0);
    c.sock.destroy();
    await waitUntil(() => h.layer.tcpConnectionCount === 0);
    await h.layer.respond(req, Buffer.from('SIP/2.0 200 OK\r\n\r\n'), via);
    await waitUntil(() => peer.data().includes('200 OK'));
  });

  it('sends an outbound request over an inbound connection from that address:port', async () => {
    const h = await tcpLayer();
    const c = await client(h.port);
    await waitUntil(() => h.layer.tcpConnectionCount === 1);
    await h.layer.send({ proto: 'tcp', host: '127.0.0.1', port: c.sock.localPort! }, Buffer.from(sipRequest('BYE', 'in-dialog')));
    await waitUntil(() => c.received().startsWith('BYE '));
    expect(h.layer.tcpConnectionCount).toBe(1);
  });

  it('opens one outbound connection, reuses it, and receives the peer requests on it', async () => {
    const h = await tcpLayer();
    const peer = await peerServer();
    const target = { proto: 'tcp' as const, host: '127.0.0.1', port: peer.port };
    const first = h.layer.send(target, Buffer.from(sipRequest('INVITE', 'o1')));
    const second = h.layer.send(target, Buffer.from(sipRequest('INVITE', 'o2'))); // while still connecting
    await Promise.all([first, second]);
    await h.layer.send(target, Buffer.from(sipRequest('INVITE', 'o3')));
    await waitUntil(() => (peer.data().match(/^INVITE /gm) ?? []).length === 3);
    expect(peer.sockets.length).toBe(1);
    expect(h.layer.tcpConnections().map((x) => x.direction)).toEqual(['out']);
    // the peer talks back on the same connection: we see it as coming from the peer's listen port
    peer.sockets[0].write(sipRequest('BYE', 'back'));
    await waitUntil(() => h.inbox.length === 1);
    expect(h.inbox[0].remote).toMatchObject({ address: '127.0.0.1', port: peer.port });
    expect(h.inbox[0].local).toBe(h.layer.sockets[0]);
  });

  it('rejects a send whose connect fails with connect_failed, and a forgotten one never crashes', async () => {
    const h = await tcpLayer({ connectTimeoutMs: 1_000 });
    const peer = await peerServer();
    const deadPort = peer.port;
    await new Promise<void>((r) => peer.server.close(() => r()));
    const p = h.layer.send({ proto: 'tcp', host: '127.0.0.1', port: deadPort }, Buffer.from('x'));
    await expect(p).rejects.toBeInstanceOf(TransportError);
    await expect(p).rejects.toMatchObject({ code: 'connect_failed' });
    void h.layer.send({ proto: 'tcp', host: '127.0.0.1', port: deadPort }, Buffer.from('y'));
    await waitUntil(async () => (await metricValue(h.registry, TRANSPORT_METRICS.errors, { reason: 'connect_failed' })) === 2);
    await waitUntil(() => h.layer.tcpConnectionCount === 0);
  });
});

describe('TCP limits and shutdown', () => {
  it('refuses inbound connections above the per-IP limit', async () => {
    const h = await tcpLayer({ maxConnectionsPerIp: 2 });
    await client(h.port);
    await client(h.port);
    await waitUntil(() => h.layer.tcpConnectionCount === 2);
    const third = await client(h.port);
    await waitUntil(() => third.closed());
    expect(h.layer.tcpConnectionCount).toBe(2);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.errors, { reason: 'connection_limit' })).toBe(1);
  });

  it('closes a connection whose peer stops reading once the write queue passes the cap', async () => {
    const h = await tcpLayer({ maxWriteBufferBytes: 64 * 1024 });
    const c = await client(h.port);
    c.sock.pause();
    await waitUntil(() => h.layer.tcpConnectionCount === 1);
    const big = Buffer.alloc(1024 * 1024, 0x61);
    const sends: Array<Promise<void> | void> = [];
    for (let i = 0; i < 32 && h.layer.tcpConnectionCount === 1; i++) {
      sends.push(h.layer.send({ proto: 'tcp', host: '127.0.0.1', port: c.sock.localPort! }, big));
      await sleep(1);
    }
    await waitUntil(() => h.layer.tcpConnectionCount === 0);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.errors, { reason: 'write_overflow' })).toBe(1);
    const results = await Promise.allSettled(sends);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
  });

  it('close() ends every connection, both directions, and the gauge returns to 0', async () => {
    const h = await startLayer({ listen: [{ proto: 'tcp', host: '127.0.0.1', port: 0 }] });
    const port = h.layer.sockets[0].port;
    const c = await client(port);
    const peer = await peerServer();
    await h.layer.send({ proto: 'tcp', host: '127.0.0.1', port: peer.port }, Buffer.from('OPTIONS'));
    await waitUntil(() => h.layer.tcpConnectionCount === 2);
    await h.layer.close();
    await waitUntil(() => c.closed());
    await waitUntil(() => h.layer.tcpConnectionCount === 0);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.tcpConnections)).toBe(0);
    await expect(tcpClient(port)).rejects.toThrow();
  });
});
