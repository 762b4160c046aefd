// The SIP proxy core: bytes in from the transport, parsed, sanity-checked and
// run through the request pipeline; responses through the transaction layer
// and back upstream. Features plug in as steps (`screening` before the
// transaction is created, `routing` to choose next hops); this file holds the
// pipeline's order and the few things every step shares (local replies,
// stateless forwarding).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Pipeline, type PipelineOutcome, type Step } from '#libs/pipeline';
import { LogLimiter, RateLimitedLog, type LogRateLimit, type RejectionRecorder } from '#libs/rejections';
import { checkRequest, forwardedMaxForwards, type SanityConfig, type SanityContext } from '#libs/sanity';
import { createResponse, generateTag, parseMessage, responseTarget, stampVia, type HeaderList, type ParseLimits, type SipMessage, type Via } from '#libs/sip';
import type { TransactionLayer } from '#libs/transaction';
import type { InboundMessage, RemoteInfo, SocketId, TransportLayer } from '#libs/transport';
import { eventBase, stamped, type CallEvents } from './call-events.ts';
import { createContext, type Hop, type RequestContext } from './context.ts';
import { STATELESS_TAG_PREFIX } from './stateless-tag.ts';
import { relayBranch, viaValue } from './hops.ts';
import { createProxyMetrics, type ProxyMetrics } from './metrics.ts';
import { OwnAddresses } from './own-addresses.ts';
import { admissionStep } from './steps/admission.ts';
import { looseRouteStep } from './steps/loose-route.ts';
import { isOptionsToSelf, optionsSelfStep } from './steps/options-self.ts';
import { recordRouteStep } from './steps/record-route.ts';
import { relayStep } from './steps/relay.ts';
import { settleStep } from './steps/settle.ts';
import { transactionStep } from './steps/transaction.ts';
import type { TopologyHiding } from './topology.ts';

export interface ProxyConfig {
  /** host names / addresses (optionally host:port) that also mean "this node" */
  aliases: readonly string[];
  /** Server header on locally generated replies; empty = none */
  serverHeader: string;
  sanity: Readonly<SanityConfig>;
  limits: Readonly<ParseLimits>;
  /** answers to malformed requests per source: over the rate they are dropped (no reflection of a garbage flood) */
  malformedReplies?: LogRateLimit;
}

export interface ProxyDeps {
  config: ProxyConfig;
  transport: TransportLayer;
  tm: TransactionLayer;
  logger: Logger;
  registry: Registry;
  recorder: RejectionRecorder;
  /** checks on the source address alone, before the message is even parsed (bans): cheapest drop under a flood */
  gates?: readonly SourceGate[];
  /** security steps run on every request before any transaction is created (pike, acl...) */
  screening?: readonly Step<RequestContext>[];
  /** steps choosing next hops for out-of-dialog requests (dispatcher), and last touches before relay (hygiene) */
  routing?: readonly Step<RequestContext>[];
  /** applied to every response relayed upstream (header hygiene: Server rewrite, internal headers stripped) */
  scrubRelayed?: (msg: SipMessage) => void;
  /** topology hiding (topoh / topos): restores on the way in, hides on the way out */
  topology?: TopologyHiding;
  /** where the relay reports what happens to calls (features subscribe to it) */
  events?: CallEvents;
  /** rate of the per-request failure log lines, per kind (default: the rejection log's default) */
  logRate?: LogRateLimit;
}

/** A check on where a message comes from; returns a rejection code to refuse it, undefined to let it in. */
export interface SourceGate {
  readonly name: string;
  check(remote: RemoteInfo): string | undefined;
  /**
   * Told of every message from `remote` refused as malformed (parse error or
   * sanity): pike counts them, so a source sending only garbage is banned
   * like any flooder although no step ever sees its requests.
   */
  malformed?(remote: RemoteInfo): void;
}


/** answers to malformed requests, per source: 10 a second after a burst of 20 */
const DEFAULT_MALFORMED_REPLIES: LogRateLimit = { perSecond: 10, burst: 20 };

const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE, MESSAGE';

export class SipProxy {
  readonly own: OwnAddresses;
  readonly pipeline: Pipeline<RequestContext>;
  private readonly metrics: ProxyMetrics;
  private readonly log: Logger;
  /** every log line a request can cause on a failure path goes through this */
  private readonly failLog: RateLimitedLog;
  /** per-source token buckets for answers to malformed requests (bounded key count) */
  private readonly malformedReplies: LogLimiter;
  private readonly malformedWatchers: readonly SourceGate[];
  private readonly serverHeader: HeaderList;
  private readonly sanityContext: SanityContext;
  private readonly gates: readonly SourceGate[];
  private draining = false;

  constructor(private readonly deps: ProxyDeps) {
    const { config, transport, tm } = deps;
    this.log = deps.logger;
    this.failLog = new RateLimitedLog(deps.logger, deps.logRate);
    this.own = new OwnAddresses(transport.sockets, config.aliases);
    this.metrics = createProxyMetrics(deps.registry);
    this.gates = deps.gates ?? [];
    this.malformedWatchers = this.gates.filter((g) => g.malformed !== undefined);
    this.malformedReplies = new LogLimiter(config.malformedReplies ?? DEFAULT_MALFORMED_REPLIES);
    this.serverHeader = config.serverHeader === '' ? [] : [['Server', config.serverHeader]];
    this.sanityContext = {
      proxyRequireSupported: config.sanity.proxyRequireSupported,
      isSelf: (msg: SipMessage) => isOptionsToSelf(msg, this.own),
    };
    const reply = (ctx: RequestContext, status: number, reason: string, headers?: HeaderList): void => this.reply(ctx, status, reason, headers);
    const topology = deps.topology;
    this.pipeline = new Pipeline<RequestContext>([
      { name: 'sanity', run: (ctx) => this.sanity(ctx) },
      ...(deps.screening ?? []),
      transactionStep({ tm, reply }),
      admissionStep({ draining: () => this.draining }),
      optionsSelfStep({ own: this.own, reply, allow: ALLOW }),
      ...(topology !== undefined ? [topology.restore] : []),
      looseRouteStep({ own: this.own }),
      recordRouteStep(),
      ...(deps.routing ?? []),
      ...(topology?.prepare !== undefined ? [topology.prepare] : []),
      settleStep(),
      relayStep({
        tm,
        maxForwards: config.sanity,
        metrics: this.metrics,
        reply,
        scrub: deps.scrubRelayed,
        topology,
        events: deps.events,
        selectSocket: (hop: Hop) => transport.selectSocket(hop.target, hop.socket),
        forwardStateless: (ctx) => this.forwardAck(ctx),
        sendUpstream: (response) => this.sendUpstream(response),
        log: this.failLog,
      }),
    ]);
    tm.on('response', ({ msg }) => this.forwardStrayResponse(msg));
    transport.onMessage((m) => this.receive(m));
  }

  /** Stop taking new dialogs (SIGTERM); transactions in flight go on. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** The transport's one inbound handler. Never throws. */
  receive(m: InboundMessage): void {
    for (const gate of this.gates) {
      const code = gate.check(m.remote);
      if (code !== undefined) {
        // refused before parsing: a drop or a stateless answer would need the message, so always drop
        this.deps.recorder.recordRejection(code, { proto: m.remote.proto, address: m.remote.address, port: m.remote.port, detail: gate.name });
        return;
      }
    }
    const parsed = parseMessage(m.data, this.deps.config.limits);
    if (!parsed.ok) {
      const verdict = checkRequest(parsed, this.sanityContext);
      if (verdict.action === 'pass') return;
      this.malformed(m.remote);
      this.deps.recorder.recordRejection(verdict.rejection, { proto: m.remote.proto, address: m.remote.address, port: m.remote.port, detail: verdict.detail });
      if (verdict.action === 'reply' && verdict.request.method !== 'ACK' && this.mayAnswerMalformed(m.remote)) {
        stampVia(verdict.request, m.remote);
        this.replyStateless(verdict.request, m, verdict.status, verdict.reason, verdict.headers);
      }
      return;
    }
    // a stream connection that delivers SIP has proven itself (first-message deadline, eviction)
    m.proven?.();
    const msg = parsed.msg;
    if (!msg.isRequest) {
      this.deps.tm.receiveResponse(msg, { proto: m.remote.proto, host: m.remote.address, port: m.remote.port });
      return;
    }
    this.metrics.request(msg.method);
    stampVia(msg, m.remote);
    const ctx = createContext(msg, m.remote, m.local, this.log);
    const out = this.pipeline.run(ctx);
    if (out instanceof Promise) out.then((o) => this.settle(ctx, o), (err: unknown) => this.settle(ctx, { kind: 'error', step: '?', error: err }));
    else this.settle(ctx, out);
  }


  private sanity(ctx: RequestContext): ReturnType<Step<RequestContext>['run']> {
    const v = checkRequest(ctx.msg, this.sanityContext);
    if (v.action === 'pass') return 'next';
    this.malformed(ctx.source);
    if (v.action === 'reply' && !this.mayAnswerMalformed(ctx.source)) {
      this.deps.recorder.recordRejection(v.rejection, this.rejectionContext(ctx, v.detail));
      return 'done';
    }
    // 420 carries an Unsupported header: it rides on the verdict like any step's reply headers
    if (v.action === 'reply' && v.headers !== undefined) return { reject: v.code, detail: v.detail, headers: v.headers };
    return { reject: v.code, detail: v.detail };
  }

  /** a message from `remote` was refused as malformed: the gates that count sources (pike) hear of it */
  private malformed(remote: RemoteInfo): void {
    for (const g of this.malformedWatchers) g.malformed?.(remote);
  }

  /** whether this source may still get an answer to a malformed request (per-source rate); counts the ones left unanswered */
  private mayAnswerMalformed(remote: RemoteInfo): boolean {
    if (this.malformedReplies.take(remote.address) >= 0) return true;
    this.metrics.malformedUnanswered();
    return false;
  }

  private settle(ctx: RequestContext, out: PipelineOutcome): void {
    switch (out.kind) {
      case 'done':
        return;
      case 'reject': {
        // the one path of every local refusal: counted and logged, then answered (or dropped)
        const def = this.deps.recorder.recordRejection(out.code, this.rejectionContext(ctx, out.detail));
        if (def.status === 'drop') return;
        const v = out.verdict;
        this.refused(ctx, v.status ?? def.status, v.reason ?? def.reason, out.code);
        this.reply(ctx, v.status ?? def.status, v.reason ?? def.reason, v.headers as HeaderList | undefined);
        return;
      }
      case 'answer': {
        // a 2xx a step made (registrar): a reply, not a refusal
        const v = out.verdict;
        this.reply(ctx, v.answer, v.reason, v.headers as HeaderList | undefined);
        return;
      }
      case 'error':
        this.failLog.write('error', `step_threw_${out.step}`, { callId: ctx.msg.callId(), err: out.error, step: out.step }, 'pipeline step threw');
        this.deps.recorder.recordRejection('proxy.internal_error', this.rejectionContext(ctx, `step ${out.step}`));
        this.refused(ctx, 500, 'Server Internal Error', 'proxy.internal_error');
        this.reply(ctx, 500, 'Server Internal Error');
        return;
      case 'fell-through':
        this.deps.recorder.recordRejection('proxy.no_route', this.rejectionContext(ctx, 'no step took the request'));
        this.refused(ctx, 404, 'No Destination', 'proxy.no_route');
        this.reply(ctx, 404, 'No Destination');
        return;
    }
  }

  /** the call event of a local refusal (only built when someone listens) */
  private refused(ctx: RequestContext, status: number, reason: string, code: string): void {
    const events = this.deps.events;
    if (events?.active !== true || ctx.msg.method === 'ACK') return;
    const src = ctx.source;
    events.emit(stamped(eventBase(ctx.msg), { type: 'request.refused', status, reason, code, request: ctx.msg, source: { proto: src.proto, address: src.address, port: src.port } }));
  }

  private rejectionContext(ctx: RequestContext, detail?: string) {
    return { proto: ctx.source.proto, address: ctx.source.address, port: ctx.source.port, method: ctx.msg.method, callId: ctx.msg.callId(), detail };
  }

  /** A locally generated final (or provisional) answer to the context's request. ACKs are never answered. */
  reply(ctx: RequestContext, status: number, reason: string, headers: HeaderList = []): void {
    const req = ctx.msg;
    if (req.method === 'ACK') return;
    const stateless = ctx.tx === undefined;
    const res = createResponse(req, status, reason, {
      toTag: status > 100 && req.toTag() === undefined ? `${stateless ? STATELESS_TAG_PREFIX : ''}${generateTag()}` : undefined,
      headers: this.serverHeader.length === 0 ? headers : [...this.serverHeader, ...headers],
    });
    this.metrics.replied(status);
    if (!stateless && ctx.tx !== undefined) {
      ctx.tx.respond(res);
      return;
    }
    this.sendResponseStateless(res, ctx.source.proto, ctx.source.address, ctx.source.port, ctx.local.id);
  }

  private replyStateless(req: SipMessage, m: InboundMessage, status: number, reason: string, headers: HeaderList = []): void {
    const res = createResponse(req, status, reason, {
      toTag: req.toTag() === undefined ? `${STATELESS_TAG_PREFIX}${generateTag()}` : undefined,
      headers: this.serverHeader.length === 0 ? headers : [...this.serverHeader, ...headers],
    });
    this.metrics.replied(status);
    this.sendResponseStateless(res, m.remote.proto, m.remote.address, m.remote.port, m.local.id);
  }

  /**
   * Send a response by its top Via (RFC 3261 §18.2.2); over TCP back to the
   * source connection; to the source address when the Via is unusable
   * (unparsable or not SIP/2.0: the 400/505 to a malformed request). Over
   * UDP it leaves from the socket the request arrived on (`inbound`).
   */
  private sendResponseStateless(res: SipMessage, proto: 'udp' | 'tcp', address: string, port: number, inbound: SocketId): void {
    const via = res.topVia();
    if (proto === 'tcp' || via === undefined || via.protocol !== 'SIP/2.0') {
      void this.deps.transport.send({ proto, host: address, port }, res.serialize(), proto === 'udp' ? inbound : undefined);
      return;
    }
    const t = responseTarget(via, 'UDP');
    void this.deps.transport.send({ proto: 'udp', host: t.host, port: t.port }, res.serialize(), inbound);
  }

  /** RFC 3261 §16.11: a 2xx ACK goes on statelessly, with our Via and a branch derived from its own. */
  private forwardAck(ctx: RequestContext): void {
    const hop = ctx.hops[0];
    const out = this.deps.transport.selectSocket(hop.target, hop.socket);
    if (out === undefined) {
      this.metrics.stateless('dropped');
      return;
    }
    const msg = ctx.msg;
    msg.setHeader('Max-Forwards', String(forwardedMaxForwards(msg.maxForwards(), this.deps.config.sanity)));
    msg.prependHeader('Via', viaValue(out, relayBranch(msg.topVia(), 0)));
    this.deps.topology?.hideRequest(ctx, msg, out);
    this.metrics.stateless('ack');
    const events = this.deps.events;
    if (events?.active === true) events.emit(stamped(eventBase(msg), { type: 'dialog.confirmed' }));
    void this.deps.transport.send(hop.target, msg.serialize(), out.id);
  }

  /** A response no client transaction knows (a 2xx retransmission): forwarded by Via when the top Via is ours. */
  private forwardStrayResponse(msg: SipMessage): void {
    const top = msg.topVia();
    if (top === undefined || !this.own.isOwn(top.host, top.port) || msg.status < 200 || msg.status >= 300) {
      this.metrics.stateless('dropped');
      return;
    }
    const topology = this.deps.topology;
    if (topology === undefined) {
      this.relayStrayResponse(msg);
      return;
    }
    // topology hiding sent one Via: the rest of the stack is in its token or its store
    const local = this.deps.transport.sockets.find((s) => s.proto === (top.transport === 'TCP' ? 'tcp' : 'udp')) ?? this.deps.transport.sockets[0];
    const restored = topology.restoreStray(msg, local);
    if (restored instanceof Promise) {
      restored.then((ok) => this.relayRestoredStray(msg, ok), (err: unknown) => {
        this.failLog.write('warn', 'topology_stray_not_restored', { err }, 'topology: stray response not restored');
        this.metrics.stateless('dropped');
      });
    } else {
      this.relayRestoredStray(msg, restored);
    }
  }

  private relayRestoredStray(msg: SipMessage, restored: boolean): void {
    if (restored) this.relayStrayResponse(msg);
    else this.metrics.stateless('dropped');
  }

  private relayStrayResponse(msg: SipMessage): void {
    const vias = msg.vias();
    if (vias.length < 2) {
      this.metrics.stateless('dropped');
      return;
    }
    msg.removeFirstValue('via');
    this.deps.scrubRelayed?.(msg);
    this.metrics.replied(msg.status);
    this.sendUpstream(msg, vias[1]);
  }

  /** A response with no server transaction (any more) goes to its top Via (§18.2.2), statelessly. */
  private sendUpstream(msg: SipMessage, next: Via | undefined = msg.topVia()): void {
    if (next === undefined) {
      this.metrics.stateless('dropped');
      return;
    }
    const proto = next.transport === 'TCP' ? 'tcp' : 'udp';
    const t = responseTarget(next, next.transport);
    this.metrics.stateless('response');
    void this.deps.transport.send({ proto, host: t.host, port: t.port }, msg.serialize());
  }
}
