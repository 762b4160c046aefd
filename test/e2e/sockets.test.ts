// Sockets honoured both ways, on a node listening on two loopback addresses
// (127.0.0.1 and 127.0.0.2, same port): a branch leaves from the socket its
// destination names (dispatcher `socket=`), whatever socket the request came
// in on; every response (relayed, local through the transaction, stateless)
// leaves from the socket its request arrived on. The same node also shows the
// sanity config section reaching the proxy (Proxy-Require tags, Max-Forwards).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage } from '#libs/sip';
import { freePort } from '../harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { ScriptedUa, newTag } from './sip-ua.ts';

const A = '127.0.0.1';
const B = '127.0.0.2';

/** A raw UDP caller that records where each answer came from. */
class RawCaller {
  readonly got: { msg: SipMessage; from: RemoteInfo }[] = [];
  private constructor(private readonly sock: Socket, readonly port: number) {}

  static async open(): Promise<RawCaller> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, A, () => r()));
    const c = new RawCaller(sock, sock.address().port);
    sock.on('message', (data, from) => {
      const r = parseMessage(data);
      if (r.ok) c.got.push({ msg: r.msg, from });
    });
    return c;
  }

  send(text: string, host: string, port: number): void {
    this.sock.send(Buffer.from(text, 'latin1'), port, host);
  }

  async answer(callId: string, status: number, timeoutMs = 5000): Promise<{ msg: SipMessage; from: RemoteInfo }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.got.find((g) => g.msg.callId() === callId && g.msg.status === status);
      if (m !== undefined) return m;
      if (Date.now() > deadline) throw new Error(`no ${status} for ${callId}; got ${this.got.map((g) => g.msg.status).join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.sock.close();
  }
}

function request(method: string, ruri: string, callerPort: number, extra: string[] = []): { text: string; callId: string } {
  const callId = `${randomBytes(6).toString('hex')}@caller`;
  const text = [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${A}:${callerPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@${A}>;tag=${newTag()}`,
    `To: <${ruri}>`,
    `Call-ID: ${callId}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:caller@${A}:${callerPort}>`,
    ...extra,
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  return { text, callId };
}

describe('sockets honoured both ways (two listen sockets: 127.0.0.1 and 127.0.0.2)', () => {
  let node: SbcNodeHandle;
  let gateway: ScriptedUa;
  let caller: RawCaller;
  let port: number;

  beforeAll(async () => {
    gateway = await ScriptedUa.start({ name: 'gw', transport: 'udp' });
    caller = await RawCaller.open();
    port = await freePort();
    node = await startSbcNode({
      port,
      gateways: [],
      config: {
        log: { level: 'warn' },
        sip: { listen: [{ proto: 'udp', host: A, port }, { proto: 'udp', host: B, port }] },
        // the gateway is reached from the second socket
        dispatcher: { sets: [{ setid: 1, uri: `sip:${A}:${gateway.port}`, attrs: `socket=udp:${B}:${port}` }] },
        // (and the sanity section, checked at the end)
        sanity: { proxy_require: ['foo'], max_forwards: 20 },
      },
    });
  }, 60_000);

  afterAll(async () => {
    caller?.close();
    gateway?.close();
    await node?.stop();
  });

  /** INVITE to the node at `entry`; the gateway answers 200. Returns what the gateway saw and where the 200 came from. */
  async function call(entry: string) {
    const inv = request('INVITE', `sip:gw@${entry}:${port}`, caller.port);
    caller.send(inv.text, entry, port);
    const atGw = await gateway.nextRequest('INVITE', inv.callId).catch((e: Error) => { throw new Error(`${e.message}\n${node.logTail()}`); });
    gateway.reply(atGw.rq, 200, 'OK', { toTag: newTag(), headers: { contact: [gateway.contact] } });
    const ok = await caller.answer(inv.callId, 200);
    const trying = await caller.answer(inv.callId, 100);
    return { atGw, ok, trying };
  }

  it('a branch leaves from the socket the destination names, though the request came in on the other', async () => {
    const { atGw, ok, trying } = await call(A);
    expect(atGw.remote.address, node.logTail()).toBe(B);
    expect(atGw.remote.port).toBe(port);
    expect(atGw.rq.headers.via?.[0]).toMatchObject({ host: B, port });
    // and the answers go back from where the INVITE came in
    expect(ok.from).toMatchObject({ address: A, port });
    expect(trying.from).toMatchObject({ address: A, port });
  });

  it('responses leave from the socket the request arrived on: relayed, local through the transaction, and stateless', async () => {
    const { atGw, ok, trying } = await call(B);
    expect(atGw.remote.address).toBe(B);
    expect(ok.from, 'relayed 200').toMatchObject({ address: B, port });
    expect(trying.from, '100 Trying of the server transaction').toMatchObject({ address: B, port });

    const options = request('OPTIONS', `sip:${B}:${port}`, caller.port);
    caller.send(options.text, B, port);
    expect((await caller.answer(options.callId, 200)).from, 'OPTIONS to the node, answered through its transaction').toMatchObject({ address: B, port });

    const hops = request('INVITE', `sip:gw@${B}:${port}`, caller.port, ['Max-Forwards: 0']);
    caller.send(hops.text.replace('Max-Forwards: 70\r\n', ''), B, port);
    expect((await caller.answer(hops.callId, 483)).from, 'sanity 483, stateless').toMatchObject({ address: B, port });
  });

  it('the sanity section reaches the node: Proxy-Require tags it supports, Max-Forwards it puts on', async () => {
    const unsupported = request('INVITE', `sip:gw@${A}:${port}`, caller.port, ['Proxy-Require: bar']);
    caller.send(unsupported.text, A, port);
    const bad = await caller.answer(unsupported.callId, 420);
    expect(bad.msg.header('unsupported')).toBe('bar');

    // a supported tag passes, and a request without Max-Forwards leaves with sanity.max_forwards
    const ok = request('INVITE', `sip:gw@${A}:${port}`, caller.port, ['Proxy-Require: foo']);
    caller.send(ok.text.replace('Max-Forwards: 70\r\n', ''), A, port);
    const atGw = await gateway.nextRequest('INVITE', ok.callId);
    expect(Number(atGw.rq.headers['max-forwards'])).toBe(20);
    gateway.reply(atGw.rq, 200, 'OK', { toTag: newTag(), headers: { contact: [gateway.contact] } });
    await caller.answer(ok.callId, 200);
  });
});
