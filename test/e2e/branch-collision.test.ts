// Issue 20: two clients that happen to use one branch are two transactions
// (RFC 3261 §17.2.3 matches on branch + sent-by + method), at the node and at
// the gateway. The node derives the relayed branch from the incoming one so
// that a retransmission relayed by any node of the cluster is the same
// transaction downstream; derived from the branch alone, the second client's
// request collided with the first's client transaction on the node and got a
// 500. Three raw UDP callers (two addresses, two ports on one address) send
// INVITEs and OPTIONS with one branch through a node process to a gateway.
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage, type SipMessage } from '#libs/sip';
import { freePort } from '../harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { ScriptedUa, newTag } from './sip-ua.ts';

/** A raw UDP caller: it writes the Via (and so the branch) itself. */
class RawCaller {
  readonly got: SipMessage[] = [];
  private constructor(private readonly sock: Socket, readonly host: string, readonly port: number) {}

  static async open(host: string): Promise<RawCaller> {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, host, () => r()));
    const c = new RawCaller(sock, host, sock.address().port);
    sock.on('message', (data) => {
      const r = parseMessage(data);
      if (r.ok) c.got.push(r.msg);
    });
    return c;
  }

  send(method: string, ruri: string, branch: string, to: { host: string; port: number }): string {
    const callId = `${randomBytes(6).toString('hex')}@${this.host}`;
    const text = [
      `${method} ${ruri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${this.host}:${this.port};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@${this.host}>;tag=${newTag()}`,
      `To: <${ruri}>`,
      `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:caller@${this.host}:${this.port}>`,
      'Content-Length: 0',
      '', '',
    ].join('\r\n');
    this.sock.send(Buffer.from(text, 'latin1'), to.port, to.host);
    return callId;
  }

  /** the first final answer for this Call-ID (bounded wait) */
  async final(callId: string, timeoutMs = 5000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.got.find((g) => g.callId() === callId && g.status >= 200);
      if (m !== undefined) return m;
      if (Date.now() > deadline) throw new Error(`no final answer for ${callId}; got ${this.got.filter((g) => g.callId() === callId).map((g) => g.status).join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  close(): void {
    this.sock.close();
  }
}

describe('two clients, one branch (issue 20)', () => {
  let node: SbcNodeHandle;
  let gateway: ScriptedUa;
  let callers: RawCaller[];
  let port: number;

  beforeAll(async () => {
    gateway = await ScriptedUa.start({ name: 'gw', transport: 'udp' });
    // other address; same address, other port
    callers = await Promise.all(['127.0.0.1', '127.0.0.2', '127.0.0.1'].map((h) => RawCaller.open(h)));
    port = await freePort();
    node = await startSbcNode({
      port,
      gateways: [],
      config: { log: { level: 'warn' }, dispatcher: { sets: [{ setid: 1, uri: `sip:127.0.0.1:${gateway.port}` }] } },
    });
  }, 60_000);

  afterAll(async () => {
    for (const c of callers ?? []) c.close();
    gateway?.close();
    await node?.stop();
  });

  for (const method of ['INVITE', 'OPTIONS'] as const) {
    it(`${method}s from three clients with one branch each reach the gateway as their own transaction and get their own answer`, async () => {
      const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
      const ruri = `sip:gw@127.0.0.1:${port}`;
      const callIds = callers.map((c) => c.send(method, ruri, branch, { host: '127.0.0.1', port }));
      const seen = [];
      for (const callId of callIds) {
        const at = await gateway.nextRequest(method, callId).catch((e: Error) => { throw new Error(`${e.message}\n${node.logTail()}`); });
        seen.push(at.rq.headers.via?.[0]?.params.branch);
        gateway.reply(at.rq, 200, 'OK', { toTag: newTag(), headers: { contact: [gateway.contact] } });
      }
      expect(new Set(seen).size, `relayed branches ${seen.join(' ')}`).toBe(3);
      for (const [i, c] of callers.entries()) {
        const answer = await c.final(callIds[i]);
        expect(answer.status, `caller ${c.host}:${c.port}\n${node.logTail()}`).toBe(200);
        expect(answer.topVia()?.params.get('branch')).toBe(branch);
      }
    });
  }
});
