// The stateful relay through a real transaction layer and a fake transport:
// what goes downstream, what comes back upstream, and the relay metrics.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Step } from '#libs/pipeline';
import { createRejectionCatalog, RejectionRecorder, SANITY_REJECTIONS } from '#libs/rejections';
import { resolveSanityConfig } from '#libs/sanity';
import { DEFAULT_PARSE_LIMITS } from '#libs/sip';
import { TransactionLayer } from '#libs/transaction';
import type { InboundHandler, ListenSocketInfo, RemoteInfo, SendTarget, TransportLayer } from '#libs/transport';
import type { FailoverPolicy, RequestContext } from './context.ts';
import { relayBranch } from './hops.ts';
import { SipProxy } from './proxy.ts';
import { PROXY_REJECTIONS } from './rejections.ts';

const sock: ListenSocketInfo = { id: 'udp:127.0.0.1:5060', proto: 'udp', family: 'IPv4', host: '127.0.0.1', port: 5060, advertisedHost: '127.0.0.1', advertisedPort: 5060 };
const caller: RemoteInfo = { proto: 'udp', address: '127.0.0.1', port: 5070, family: 'IPv4' };
const gw1: RemoteInfo = { proto: 'udp', address: '127.0.0.1', port: 5080, family: 'IPv4' };
const gw2: RemoteInfo = { proto: 'udp', address: '127.0.0.1', port: 5081, family: 'IPv4' };

interface Sent {
  port: number;
  text: string;
}

const layers: TransactionLayer[] = [];
afterEach(() => {
  for (const tm of layers.splice(0)) tm.close();
});

function setup(gateways: RemoteInfo[], seen?: (ctx: RequestContext) => void, contacts?: { uri: string; routes?: string[] }[], fork?: FailoverPolicy) {
  let handler: InboundHandler | undefined;
  const sent: Sent[] = [];
  const transport = {
    sockets: [sock],
    selectSocket: () => sock,
    send: (t: SendTarget, d: Buffer) => void sent.push({ port: t.port, text: d.toString('latin1') }),
    onMessage: (h: InboundHandler) => { handler = h; },
  } as unknown as TransportLayer;
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const tm = new TransactionLayer({ send: (m, t) => transport.send(t, m.serialize()), logger, registry });
  layers.push(tm);
  const recorder = new RejectionRecorder({ catalog: createRejectionCatalog(SANITY_REJECTIONS, PROXY_REJECTIONS), registry, logger });
  const route: Step<RequestContext> = {
    name: 'route',
    run(ctx) {
      if (ctx.hops.length > 0 || ctx.inDialog) return 'next';
      seen?.(ctx);
      ctx.hops = gateways.map((g, i) => ({ target: { proto: 'udp', host: g.address, port: g.port }, ...(contacts?.[i] ?? {}) }));
      ctx.failover = fork ?? { codes: new Set([503]), onTimeout: true, branchTimeoutMs: 3000 };
      return 'next';
    },
  };
  new SipProxy({
    config: { aliases: [], serverHeader: '', sanity: resolveSanityConfig({}), limits: DEFAULT_PARSE_LIMITS },
    transport, tm, logger, registry, recorder,
    routing: [route],
  });
  const deliver = (text: string, remote: RemoteInfo) => handler?.({ data: Buffer.from(text, 'latin1'), remote, local: sock });
  const to = (port: number) => sent.filter((s) => s.port === port).map((s) => s.text.slice(0, s.text.indexOf('\r\n')));
  return { deliver, sent, to, registry };
}

const B = 'z9hG4bK-relaytest1';
const CV = `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=${B}`;
const FROM = 'From: <sip:alice@127.0.0.1:5070>;tag=a1';
const TO = 'To: <sip:service@127.0.0.1:5060>';
const CID = 'Call-ID: relay-test@127.0.0.1';

const invite = () =>
  `INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n${CV}\r\n${FROM}\r\n${TO}\r\n${CID}\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
const cancel = () =>
  `CANCEL sip:service@127.0.0.1:5060 SIP/2.0\r\n${CV}\r\n${FROM}\r\n${TO}\r\n${CID}\r\nCSeq: 1 CANCEL\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
/** a gateway's response to the relayed attempt `attempt` of the INVITE (or its CANCEL) */
const response = (status: string, attempt: number, toTag = '', method = 'INVITE') =>
  `SIP/2.0 ${status}\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=${relayBranch(B, attempt)};rport=5060\r\n${CV};received=127.0.0.1;rport=5070\r\n${FROM}\r\n${TO}${toTag}\r\n${CID}\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;

describe('Relay', () => {
  it('relays a call, and a 2xx retransmission reaching the lingering client transaction still goes upstream', () => {
    const { deliver, to } = setup([gw1]);
    deliver(invite(), caller);
    expect(to(gw1.port)).toEqual(['INVITE sip:service@127.0.0.1:5060 SIP/2.0']);
    deliver(response('100 Trying', 0), gw1);
    deliver(response('180 Ringing', 0, ';tag=g1'), gw1);
    deliver(response('200 OK', 0, ';tag=g1'), gw1);
    deliver(response('200 OK', 0, ';tag=g1'), gw1);
    expect(to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
  });

  it('lets go of the request context once the call has its final answer (lingering transactions do not pin it)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let ref: WeakRef<RequestContext> | undefined;
    const { deliver, to } = setup([gw1], (ctx) => { ref = new WeakRef(ctx); });
    deliver(invite(), caller);
    deliver(response('200 OK', 0, ';tag=g1'), gw1);
    expect(to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    // (WeakRef targets stay alive until the end of the current job)
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(ref).toBeDefined();
    expect(ref?.deref()).toBeUndefined();
  });

  it('fails over to the next gateway on 503, and counts the failover and each first response', async () => {
    const { deliver, to, registry } = setup([gw1, gw2]);
    deliver(invite(), caller);
    deliver(response('503 Service Unavailable', 0, ';tag=g1'), gw1);
    expect(to(gw2.port)).toEqual(['INVITE sip:service@127.0.0.1:5060 SIP/2.0']);
    deliver(response('200 OK', 1, ';tag=g2'), gw2);
    expect(to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    const text = await registry.metrics();
    expect(text).toContain('sbc_relay_failovers_total{method="INVITE"} 1');
    expect(text).toContain('sbc_relay_response_seconds_count{method="INVITE"} 2');
    expect(text).toContain('sbc_relay_response_seconds_bucket{le="+Inf",method="INVITE"} 2');
    expect(text).toContain('sbc_sip_replies_total{class="2xx"} 1');
  });

  it('forks serially over contacts with their own Request-URI and Route, by the request\'s fork policy', () => {
    const fork: FailoverPolicy = { codes: new Set([480, 503]), onTimeout: true, afterRinging: true, branchTimeoutMs: 3000, exhausted: { status: 480, reason: 'Temporarily Unavailable' } };
    const contacts = [{ uri: 'sip:alice@192.168.1.20:5060' }, { uri: 'sip:alice@10.9.9.9:5062', routes: ['<sip:edge.example.net;lr>'] }];
    const a = setup([gw1, gw2], undefined, contacts, fork);
    a.deliver(invite(), caller);
    expect(a.to(gw1.port)).toEqual(['INVITE sip:alice@192.168.1.20:5060 SIP/2.0']);
    a.deliver(response('480 Temporarily Unavailable', 0, ';tag=g1'), gw1);
    expect(a.to(gw2.port)).toEqual(['INVITE sip:alice@10.9.9.9:5062 SIP/2.0']);
    expect(a.sent.find((s) => s.port === gw2.port)?.text).toContain('\r\nRoute: <sip:edge.example.net;lr>\r\n');
    // a busy phone ends the search: its answer goes upstream
    a.deliver(response('486 Busy Here', 1, ';tag=g2'), gw2);
    expect(a.to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here']);

    const b = setup([gw1, gw2], undefined, contacts, fork);
    b.deliver(invite(), caller);
    b.deliver(response('480 Temporarily Unavailable', 0, ';tag=g1'), gw1);
    b.deliver(response('503 Service Unavailable', 1, ';tag=g2'), gw2);
    // no contact left: the policy's own answer, not the last contact's
    expect(b.sent.filter((s) => s.port === caller.port).map((s) => s.text.slice(0, s.text.indexOf('\r\n')))).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 480 Temporarily Unavailable']);
  });

  it('forks in parallel with per-contact Request-URIs; nobody there for real -> the fork policy\'s answer', () => {
    const fork: FailoverPolicy = { codes: new Set([480, 503]), onTimeout: true, afterRinging: true, branchTimeoutMs: 3000, exhausted: { status: 480, reason: 'Temporarily Unavailable' } };
    const contacts = [{ uri: 'sip:alice@192.168.1.20:5060' }, { uri: 'sip:alice@10.9.9.9:5062' }];
    const c = setup([gw1, gw2], (ctx) => { ctx.parallel = true; }, contacts, fork);
    c.deliver(invite(), caller);
    expect([...c.to(gw1.port), ...c.to(gw2.port)]).toEqual(['INVITE sip:alice@192.168.1.20:5060 SIP/2.0', 'INVITE sip:alice@10.9.9.9:5062 SIP/2.0']);
    c.deliver(response('503 Service Unavailable', 0, ';tag=g1'), gw1);
    c.deliver(response('503 Service Unavailable', 1, ';tag=g2'), gw2);
    expect(c.to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 480 Temporarily Unavailable']);
  });

  it('relays a CANCEL before the answer and the 487 upstream', () => {
    const { deliver, to } = setup([gw1]);
    deliver(invite(), caller);
    deliver(response('180 Ringing', 0, ';tag=g1'), gw1);
    deliver(cancel(), caller);
    expect(to(gw1.port)).toEqual(['INVITE sip:service@127.0.0.1:5060 SIP/2.0', 'CANCEL sip:service@127.0.0.1:5060 SIP/2.0']);
    deliver(response('200 OK', 0, ';tag=g1', 'CANCEL'), gw1);
    deliver(response('487 Request Terminated', 0, ';tag=g1'), gw1);
    expect(to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']);
  });
});
