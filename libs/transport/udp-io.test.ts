// The same UDP behaviours against both I/O paths (transport.udp.io): node:dgram
// and the batched addon (recvmmsg/sendmmsg). The addon is built by `npm ci`
// on Linux; there `batched` must be what `auto` picks.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../../test/harness/index.ts';
import { nativeUdp, nativeUdpLoadError, resolveTransportConfig, TRANSPORT_METRICS, type UdpIo } from './index.ts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { EndpointContext } from './context.ts';
import { TransportMetrics } from './metrics.ts';
import { BatchedUdp } from './udp-batched.ts';
import { metricValue, sipRequest, sleep, startLayer, udpPeer, type Harness } from './test-helpers.ts';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function layer(io: UdpIo, extra: { recvBufferSize?: number } = {}): Promise<Harness> {
  const h = await startLayer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }], udp: { io, recvBufferSize: 4 << 20, ...extra } });
  open.push(h.layer);
  return h;
}

async function peer(): Promise<Awaited<ReturnType<typeof udpPeer>>> {
  const p = await udpPeer();
  p.sock.setRecvBufferSize(4 << 20);
  open.push({ close: () => p.sock.close() });
  return p;
}

describe('the addon', () => {
  it('is built and loads on Linux (npm ci builds it), so auto means batched', async () => {
    if (process.platform === 'linux') expect(nativeUdpLoadError).toBeUndefined();
    const h = await startLayer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }, { proto: 'udp', host: '::1', port: 0 }] });
    open.push(h.layer);
    const [v4, v6] = h.layer.sockets;
    expect(h.layer.udpIo(v4.id)).toBe(nativeUdp !== undefined ? 'batched' : 'dgram');
    expect(h.layer.udpIo(v6.id)).toBe('dgram'); // the addon is IPv4 only
    expect(await metricValue(h.registry, TRANSPORT_METRICS.udpIo, { socket: v4.id, io: h.layer.udpIo(v4.id)! })).toBe(1);
    expect(h.logs.find((l) => l.msg === 'transport listening')?.sockets).toContainEqual(expect.objectContaining({ id: v4.id, io: h.layer.udpIo(v4.id) }));
  });

  it('sets SO_RCVBUF / SO_SNDBUF from recvBufferSize / sendBufferSize', async () => {
    if (nativeUdp === undefined) return expect(process.platform).not.toBe('linux'); // no addon off Linux
    const ctx = new EndpointContext(new TransportMetrics(new Registry()), pino({ level: 'silent' }));
    const ep = await BatchedUdp.bind(nativeUdp!, { proto: 'udp', host: '127.0.0.1', port: 0 }, { recvBufferSize: 300_000, sendBufferSize: 100_000 }, ctx);
    open.push(ep);
    // Linux doubles what is asked (bookkeeping overhead); both are below net.core.*mem_max here
    expect(ep.bufferSizes()).toEqual([600_000, 200_000]);
  });

  it('io: dgram forces node:dgram; a bad io value is refused at start', async () => {
    const h = await layer('dgram');
    expect(h.layer.udpIo(h.layer.sockets[0].id)).toBe('dgram');
    expect(() => resolveTransportConfig({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }], udp: { io: 'fast' as UdpIo } })).toThrow(/transport\.udp\.io: "fast"/);
  });
});

const ios: UdpIo[] = nativeUdp !== undefined ? ['dgram', 'batched'] : ['dgram'];

describe.each(ios)('UDP over %s', (io) => {
  it('uses the asked I/O path', async () => {
    const h = await layer(io);
    expect(h.layer.udpIo(h.layer.sockets[0].id)).toBe(io);
  });

  it('delivers bursts from several sources intact and in order per source, each message its own buffer', async () => {
    const h = await layer(io);
    const port = h.layer.sockets[0].port;
    const peers = await Promise.all([peer(), peer(), peer(), peer()]);
    const perPeer = 300;
    for (let burst = 0; burst < perPeer / 100; burst++) {
      for (let i = 0; i < 100; i++) {
        // interleave the sources so batches mix them
        for (const [p, pe] of peers.entries()) pe.sock.send(sipRequest('OPTIONS', `p${p}-${burst * 100 + i}`, 'x'.repeat((i * 37) % 900)), port, '127.0.0.1');
      }
      await sleep(20);
    }
    await waitUntil(() => h.inbox.length === perPeer * peers.length, 10_000);
    for (const [p, pe] of peers.entries()) {
      const mine = h.inbox.filter((m) => m.remote.port === pe.port);
      expect(mine.map((m) => /Call-ID: p\d+-(\d+)/.exec(m.data.toString())![1])).toEqual(Array.from({ length: perPeer }, (_, i) => String(i)));
      // messages received long ago are still intact (no reused receive area under them)
      mine.forEach((m, i) => expect(m.data.toString()).toBe(sipRequest('OPTIONS', `p${p}-${i}`, 'x'.repeat(((i % 100) * 37) % 900))));
      expect(mine.every((m) => m.remote.address === '127.0.0.1' && m.remote.family === 'IPv4')).toBe(true);
    }
    expect(await metricValue(h.registry, TRANSPORT_METRICS.messages, { proto: 'udp', direction: 'in' })).toBe(perPeer * peers.length);
  });

  it('lets one message\'s handler chain (microtasks) finish before the next message of a burst is seen, as dgram does', async () => {
    const h = await layer(io);
    const seen: string[] = [];
    h.layer.onMessage(async (m) => {
      const id = /Call-ID: (\S+)/.exec(m.data.toString())![1];
      seen.push(`start ${id}`);
      await Promise.resolve();
      await Promise.resolve();
      seen.push(`end ${id}`);
    });
    const p = await peer();
    // sent in one go: the node reads them in one batch
    for (let i = 0; i < 40; i++) p.sock.send(sipRequest('OPTIONS', `m${i}`), h.layer.sockets[0].port, '127.0.0.1');
    await waitUntil(() => seen.length === 80);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => [`start m${i}`, `end m${i}`]).flat());
  });

  it('carries a large datagram both ways', async () => {
    const h = await layer(io);
    const port = h.layer.sockets[0].port;
    const p = await peer();
    const big = sipRequest('MESSAGE', 'big', 'y'.repeat(64_000));
    p.sock.send(big, port, '127.0.0.1');
    await waitUntil(() => h.inbox.length === 1);
    expect(h.inbox[0].data.toString()).toBe(big);
    h.layer.send({ proto: 'udp', host: '127.0.0.1', port: p.port }, Buffer.from(big));
    h.layer.send({ proto: 'udp', host: '127.0.0.1', port: p.port }, Buffer.from('after'));
    await waitUntil(() => p.got.length === 2);
    expect(p.got[0].data.toString()).toBe(big);
    expect(p.got[1].data.toString()).toBe('after');
  });

  it('ignores keep-alives (CRLF, empty datagrams) without counting them as messages', async () => {
    const h = await layer(io);
    const port = h.layer.sockets[0].port;
    const p = await peer();
    for (const ka of ['\r\n\r\n', '\r\n', '', '\n']) p.sock.send(ka, port, '127.0.0.1');
    p.sock.send(sipRequest('OPTIONS', 'after-ping'), port, '127.0.0.1');
    await waitUntil(() => h.inbox.length === 1);
    await sleep(20);
    expect(h.inbox).toHaveLength(1);
    expect(h.inbox[0].data.toString()).toContain('Call-ID: after-ping');
    expect(await metricValue(h.registry, TRANSPORT_METRICS.messages, { proto: 'udp', direction: 'in' })).toBe(1);
  });

  it('sends to many destinations in order, from handlers, timers and in bulk, from the listen port', async () => {
    const h = await layer(io);
    const local = h.layer.sockets[0];
    // answer every request from inside the handler (flushed at the end of the receive batch)
    h.layer.onMessage((m) => {
      h.inbox.push(m);
      h.layer.send({ proto: 'udp', host: m.remote.address, port: m.remote.port }, Buffer.from(`re:${/Call-ID: (\S+)/.exec(m.data.toString())![1]}`));
    });
    const peers = await Promise.all(Array.from({ length: 12 }, () => peer()));
    // bulk: more than the addon's send queue (1024) in one turn, from a timer
    await new Promise<void>((resolve) => setTimeout(() => {
      for (let i = 0; i < 150; i++) for (const p of peers) h.layer.send({ proto: 'udp', host: '127.0.0.1', port: p.port }, Buffer.from(`n${i}`));
      resolve();
    }, 1));
    for (const p of peers) p.sock.send(sipRequest('OPTIONS', `q${p.port}`), local.port, '127.0.0.1');
    await waitUntil(() => peers.every((p) => p.got.length === 151), 10_000);
    for (const p of peers) {
      expect(p.got.slice(0, 150).map((g) => g.data.toString())).toEqual(Array.from({ length: 150 }, (_, i) => `n${i}`));
      expect(p.got[150].data.toString()).toBe(`re:q${p.port}`);
      expect(p.got.every((g) => g.port === local.port)).toBe(true);
    }
    expect(await metricValue(h.registry, TRANSPORT_METRICS.messages, { proto: 'udp', direction: 'out' })).toBe(12 * 151);
    expect(await metricValue(h.registry, TRANSPORT_METRICS.errors, { proto: 'udp' })).toBe(0);
  });

  it('counts a send it cannot make (IPv6 target, bad port) and carries on', async () => {
    const h = await layer(io);
    const p = await peer();
    const sock = h.layer.sockets[0];
    h.layer.send({ proto: 'udp', host: '::1', port: p.port }, Buffer.from('v6'), sock.id); // forced IPv4 socket: selectSocket picks none
    h.layer.send({ proto: 'udp', host: '127.0.0.1', port: 0 }, Buffer.from('port 0'));
    h.layer.send({ proto: 'udp', host: '127.0.0.1', port: p.port }, Buffer.from('ok'));
    await waitUntil(() => p.got.length === 1);
    expect(p.got[0].data.toString()).toBe('ok');
    await waitUntil(async () => (await metricValue(h.registry, TRANSPORT_METRICS.errors, { proto: 'udp' })) >= 2);
  });

  it('closes: the port is free at once, sends after close are refused, nothing is delivered after', async () => {
    const h = await startLayer({ listen: [{ proto: 'udp', host: '127.0.0.1', port: 0 }], udp: { io } });
    const port = h.layer.sockets[0].port;
    const p = await peer();
    // queued in the same turn as the close: sent before the socket goes
    h.layer.send({ proto: 'udp', host: '127.0.0.1', port: p.port }, Buffer.from('last words'));
    await h.layer.close();
    await waitUntil(() => p.got.length === 1);
    await expect(h.layer.send({ proto: 'udp', host: '127.0.0.1', port: p.port }, Buffer.from('x'))).rejects.toMatchObject({ code: 'closed' });
    const again = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(port, '127.0.0.1', () => resolve());
    });
    p.sock.send('late', port, '127.0.0.1');
    await new Promise<void>((resolve) => again.once('message', () => resolve()));
    again.close();
    expect(h.inbox).toHaveLength(0);
  });
});
