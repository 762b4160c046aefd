// Issue 20: TCP admission a flood cannot lock. Idle connections that never
// sent a valid message make room for a new client at the limit; a source
// gets a few connections, not the table; a connection must deliver a message
// soon after it opens; a banned address is closed at accept; outbound
// connections toward gateways are budgeted apart from inbound ones.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponse, DEFAULT_PARSE_LIMITS, frameStream, parseMessage } from '#libs/sip';
import { adminPost, startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { RawSipPeer } from './sip-client.ts';

/** a TCP gateway answering 200 to every request */
async function tcpGateway(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const f = frameStream(buf, DEFAULT_PARSE_LIMITS);
        if (f.kind !== 'message' && f.kind !== 'keepalive') break;
        const one = buf.subarray(0, f.length);
        buf = buf.subarray(f.length);
        if (f.kind !== 'message') continue;
        const r = parseMessage(Buffer.from(one));
        if (r.ok && r.msg.isRequest && r.msg.method !== 'ACK') s.write(createResponse(r.msg, 200, 'OK', { toTag: 'gw' }).serialize());
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return { server, port: typeof a === 'object' && a !== null ? a.port : 0 };
}

/** an idle connection from `localAddress`; resolves once connected, or with undefined when refused */
function idle(node: SbcNodeHandle, localAddress: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: node.host, port: node.port, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
}

/** resolves true when the peer closes the socket within `ms` */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  if (s.destroyed || s.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    const done = () => { clearTimeout(t); resolve(true); };
    s.once('close', done);
    s.once('end', done);
    s.once('error', done);
  });
}

async function metric(node: SbcNodeHandle, reason: string): Promise<number> {
  const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
  const m = new RegExp(`^sbc_transport_errors_total\\{[^}]*reason="${reason}"[^}]*\\} (\\d+)`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

let gateway: Awaited<ReturnType<typeof tcpGateway>>;
const open: Socket[] = [];

beforeAll(async () => {
  gateway = await tcpGateway();
});

afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((r) => gateway?.server.close(() => r()));
});

describe('at the connection limit, with a long first-message deadline', () => {
  let node: SbcNodeHandle;
  beforeAll(async () => {
    node = await startSbcNode({
      gateways: [{ host: '127.0.0.1', port: gateway.port, transport: 'tcp' }],
      transport: 'tcp',
      config: { log: { level: 'warn' }, sip: { tcp: { max_connections: 40, max_connections_per_ip: 10, first_message_timeout: 60_000 } } },
    });
  }, 60_000);
  afterAll(async () => { await node?.stop(); });

  it('40 idle connections from 4 addresses fill the table; a new client still gets its call through to a TCP gateway', async () => {
    for (let a = 1; a <= 4; a++) {
      for (let i = 0; i < 10; i++) {
        const s = await idle(node, `127.0.20.${a}`);
        if (s !== undefined) open.push(s);
      }
    }
    expect(open.length).toBe(40);
    const client = await RawSipPeer.open('tcp', node.host, node.port, '127.0.20.100');
    try {
      const callId = `tcp-admission-${Date.now()}`;
      await client.send(Buffer.from([
        'OPTIONS sip:someone@example.com SIP/2.0',
        `Via: SIP/2.0/TCP 127.0.20.100:${client.localPort};branch=z9hG4bK-${callId}`,
        'Max-Forwards: 70',
        '<sip:c@127.0.20.100>'.replace(/^/, 'From: ') + ';tag=c1',
        'To: <sip:someone@example.com>',
        `Call-ID: ${callId}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n')));
      // relayed over a new outbound TCP connection (its own budget) and answered by the gateway
      expect((await client.waitFor(callId, 5000))?.status).toBe(200);
    } finally {
      client.close();
    }
    expect(await metric(node, 'evicted')).toBeGreaterThanOrEqual(1);
  });

  it('an 11th connection from one address is refused', async () => {
    const s = await idle(node, '127.0.20.4'); // (127.0.20.1 lost its oldest connection to the eviction above)
    if (s !== undefined) {
      open.push(s);
      expect(await closedWithin(s, 5000)).toBe(true);
    }
    expect(await metric(node, 'connection_limit')).toBeGreaterThanOrEqual(1);
  });
});

describe('first-message deadline and bans', () => {
  let node: SbcNodeHandle;
  beforeAll(async () => {
    node = await startSbcNode({
      gateways: [{ host: '127.0.0.1', port: gateway.port, transport: 'tcp' }],
      transport: 'tcp',
      config: { log: { level: 'warn' }, sip: { tcp: { first_message_timeout: 500 } } },
    });
  }, 60_000);
  afterAll(async () => { await node?.stop(); });

  it('a connection that sends nothing is closed after the deadline', async () => {
    const s = await idle(node, '127.0.21.1');
    expect(s).toBeDefined();
    open.push(s!);
    expect(await closedWithin(s!, 10_000)).toBe(true);
    expect(await metric(node, 'first_message_timeout')).toBeGreaterThanOrEqual(1);
  });

  it('a connection that sent a request stays open past the deadline', async () => {
    const peer = await RawSipPeer.open('tcp', node.host, node.port, '127.0.21.2');
    try {
      const callId = `proven-${Date.now()}`;
      await peer.send(Buffer.from(`OPTIONS sip:${node.host}:${node.port} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.21.2:${peer.localPort};branch=z9hG4bK-${callId}\r\nMax-Forwards: 70\r\nFrom: <sip:p@127.0.21.2>;tag=1\r\nTo: <sip:${node.host}>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`));
      expect((await peer.waitFor(callId, 5000))?.status).toBe(200);
      await new Promise((r) => setTimeout(r, 1500));
      expect(peer.connected).toBe(true);
    } finally {
      peer.close();
    }
  });

  it('a connection from a banned address is closed at accept', async () => {
    const res = await fetch(`http://${node.host}:${node.httpPort}/admin/htable.sets`, adminPost(node, { table: 'ipban', key: '127.0.21.9', value: 'test', ttl: 600 }));
    expect(res.status).toBe(200);
    const before = await metric(node, 'banned');
    const s = await idle(node, '127.0.21.9');
    if (s !== undefined) {
      open.push(s);
      expect(await closedWithin(s, 2000)).toBe(true);
    }
    expect(await metric(node, 'banned')).toBe(before + 1);
  });
});
