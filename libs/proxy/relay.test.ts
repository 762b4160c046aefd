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
import { DEFAULT_PARSE_LIMITS, parseVia } from '#libs/sip';
import { FakeClock, TransactionLayer, type ServerLimits } from '#libs/transaction';
import type { InboundHandler, ListenSocketInfo, RemoteInfo, SendTarget, TransportLayer } from '#libs/transport';
import { CallEvents, type CallEvent } from './call-events.ts';
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

function setup(gateways: RemoteInfo[], seen?: (ctx: RequestContext) => void, contacts?: { uri: string; routes?: string[] }[], fork?: FailoverPolicy, extra: { events?: CallEvents; clock?: FakeClock; limits?: ServerLimits } = {}) {
  const { events, clock, limits } = extra;
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
  const tm = new TransactionLayer({ send: (m, t) => transport.send(t, m.serialize()), logger, registry, limits, ...(clock !== undefined ? { clock } : {}) });
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
    ...(events !== undefined ? { events } : {}),
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
  `SIP/2.0 ${status}\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=${relayBranch(parseVia(CV.slice(5)), attempt)};rport=5060\r\n${CV};received=127.0.0.1;rport=5070\r\n${FROM}\r\n${TO}${toTag}\r\n${CID}\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;

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

  it('still sends a 2xx retransmission upstream (statelessly) once the server transaction was reclaimed at the limit', async () => {
    const { deliver, to, sent, registry } = setup([gw1], undefined, undefined, undefined, { limits: { maxServer: 1, maxServerPerSource: 10 } });
    deliver(invite(), caller);
    deliver(response('200 OK', 0, ';tag=g1'), gw1);
    // a second call at the limit of one server transaction ends the first call's lingering one
    deliver(invite().replace(B, 'z9hG4bK-relaytest2').replace(CID, 'Call-ID: relay-test-2@127.0.0.1'), caller);
    expect(to(gw1.port)).toEqual(['INVITE sip:service@127.0.0.1:5060 SIP/2.0', 'INVITE sip:service@127.0.0.1:5060 SIP/2.0']);
    expect(await registry.getSingleMetricAsString('sbc_tm_reclaimed_total')).toContain('sbc_tm_reclaimed_total{side="server"} 1');
    // the gateway did not get the ACK yet and sends its 200 again: it reaches the still lingering client transaction
    deliver(response('200 OK', 0, ';tag=g1'), gw1);
    expect(to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    const relayed = sent.filter((s) => s.port === caller.port).at(-1)!.text;
    expect(relayed).toContain(`\r\n${CV};received=127.0.0.1;rport=5070\r\n`);
    expect(relayed).not.toContain('127.0.0.1:5060;branch=');
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

describe('call events from the relay', () => {
  /** the events of the test call, as "type status/cause attempt" lines */
  function recorded(): { events: CallEvents; lines: () => string[]; all: CallEvent[] } {
    const events = new CallEvents();
    const all: CallEvent[] = [];
    events.on((e) => all.push(e));
    const line = (e: CallEvent): string => {
      const parts: string[] = [e.type];
      if ('branch' in e) parts.push(`#${e.branch.attempt}`);
      if ('status' in e) parts.push(String(e.status));
      if (e.type === 'branch.failed') parts.push(e.cause);
      if (e.type === 'request.rerouted') parts.push(`${e.from}->${e.to}`);
      if (e.type === 'request.completed' && e.local) parts.push('local');
      return parts.join(' ');
    };
    return { events, all, lines: () => all.map(line) };
  }

  it('a failover: the failed branch, the reroute, the answered branch, the completion', () => {
    const r = recorded();
    const { deliver } = setup([gw1, gw2], undefined, undefined, undefined, { events: r.events });
    deliver(invite(), caller);
    deliver(response('503 Service Unavailable', 0, ';tag=g1'), gw1);
    deliver(response('180 Ringing', 1, ';tag=g2'), gw2);
    deliver(response('200 OK', 1, ';tag=g2'), gw2);
    expect(r.lines()).toEqual([
      'request.accepted',
      'branch.sent #0',
      'branch.failed #0 503 status',
      'request.rerouted 0->1',
      'branch.sent #1',
      'branch.provisional #1 180',
      'branch.answered #1 200',
      'request.completed 200',
    ]);
    const sent = r.all.find((e) => e.type === 'branch.sent');
    expect(sent).toMatchObject({ callId: 'relay-test@127.0.0.1', method: 'INVITE', fromTag: 'a1', branch: { socket: sock.id, transport: 'udp', target: { port: gw1.port } } });
  });

  it('every destination failing: the node answers 503 itself (completed, local)', () => {
    const r = recorded();
    const { deliver, to } = setup([gw1, gw2], undefined, undefined, undefined, { events: r.events });
    deliver(invite(), caller);
    deliver(response('503 Service Unavailable', 0, ';tag=g1'), gw1);
    deliver(response('503 Service Unavailable', 1, ';tag=g2'), gw2);
    expect(to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 503 Service Unavailable - All Destinations Failed']);
    expect(r.lines().slice(-3)).toEqual(['branch.sent #1', 'branch.failed #1 503 status', 'request.completed 503 local']);
  });

  it('a CANCEL: cancelled, then the 487 fails the branch and completes the request', () => {
    const r = recorded();
    const { deliver } = setup([gw1], undefined, undefined, undefined, { events: r.events });
    deliver(invite(), caller);
    deliver(response('180 Ringing', 0, ';tag=g1'), gw1);
    deliver(cancel(), caller);
    deliver(response('200 OK', 0, ';tag=g1', 'CANCEL'), gw1);
    deliver(response('487 Request Terminated', 0, ';tag=g1'), gw1);
    expect(r.lines()).toEqual([
      'request.accepted',
      'branch.sent #0',
      'branch.provisional #0 180',
      'request.cancelled',
      'branch.failed #0 487 status',
      'request.completed 487',
    ]);
  });

  it('timeouts: a silent destination fails over (no provisional); one that rang then went quiet ends the call with 408', () => {
    const silent = recorded();
    const clock = new FakeClock();
    const a = setup([gw1, gw2], undefined, undefined, undefined, { events: silent.events, clock });
    a.deliver(invite(), caller);
    clock.advance(3000); // the failover policy's branch timeout
    expect(silent.lines().slice(0, 5)).toEqual(['request.accepted', 'branch.sent #0', 'branch.failed #0 timeout', 'request.rerouted 0->1', 'branch.sent #1']);
    expect(silent.all.find((e) => e.type === 'branch.failed')).toMatchObject({ cause: 'timeout', provisionalReceived: false });

    const rang = recorded();
    const clock2 = new FakeClock();
    const b = setup([gw1, gw2], undefined, undefined, undefined, { events: rang.events, clock: clock2 });
    b.deliver(invite(), caller);
    b.deliver(response('180 Ringing', 0, ';tag=g1'), gw1);
    clock2.advance(200_000); // past fr_inv_timer (Timer C)
    const failed = rang.all.find((e) => e.type === 'branch.failed');
    expect(failed).toMatchObject({ cause: 'timeout', provisionalReceived: true });
    expect(rang.lines()).not.toContain('request.rerouted 0->1');
    expect(rang.lines()).toContain('request.completed 408 local');
  });

  it('a BYE says who hung up from the ftag of the Route naming the node (any node can tell)', () => {
    const r = recorded();
    const { deliver, to } = setup([gw1], undefined, undefined, undefined, { events: r.events });
    const bye = (from: string, toTag: string, ruri: string, via: string) =>
      `BYE ${ruri} SIP/2.0\r\nVia: SIP/2.0/UDP ${via};branch=z9hG4bK-bye-${from}\r\nRoute: <sip:127.0.0.1:5060;lr;ftag=a1>\r\n` +
      `From: <sip:${from}@127.0.0.1>;tag=${from === 'alice' ? 'a1' : 'g1'}\r\nTo: <sip:x@127.0.0.1>;tag=${toTag}\r\n${CID}\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
    deliver(bye('gw', 'a1', 'sip:alice@127.0.0.1:5070', '127.0.0.1:5080'), gw1);
    deliver(bye('alice', 'g1', 'sip:gw@127.0.0.1:5080', '127.0.0.1:5070'), caller);
    expect(to(caller.port)[0]).toBe('BYE sip:alice@127.0.0.1:5070 SIP/2.0');
    expect(r.all.filter((e) => e.type === 'dialog.ended').map((e) => (e.type === 'dialog.ended' ? e.by : ''))).toEqual(['callee', 'caller']);
  });

  it('builds no event while nobody listens', () => {
    const events = new CallEvents();
    const { deliver, to } = setup([gw1], undefined, undefined, undefined, { events });
    let built = 0;
    const off = events.on(() => { built++; });
    off();
    deliver(invite(), caller);
    deliver(response('200 OK', 0, ';tag=g1'), gw1);
    expect(to(caller.port)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
    expect(events.active).toBe(false);
    expect(built).toBe(0);
  });
});
