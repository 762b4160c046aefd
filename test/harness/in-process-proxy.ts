// One SipProxy in process with a fake transport: each message it sends goes
// to `onSend` as bytes, and deliver() hands it bytes as if they came off its
// socket. New calls go to one gateway (dispatcher set 1, round robin). For
// tests and bench/proxy.ts: the proxy's whole pipeline and transactions with
// no sockets, kernel or peer processes.
import pino from 'pino';
import { Registry } from 'prom-client';
import { dispatcherSection, DispatcherState, dispatchStep, loadDispatcherSets } from '#libs/dispatcher';
import { loadConfig } from '#libs/config';
import type { Step } from '#libs/pipeline';
import { PROXY_REJECTIONS, SipProxy, type CallEvents, type RequestContext, type TopologyHiding } from '#libs/proxy';
import { createRejectionCatalog, RejectionRecorder, SANITY_REJECTIONS, type RejectionGroup } from '#libs/rejections';
import { resolveSanityConfig } from '#libs/sanity';
import { DEFAULT_PARSE_LIMITS } from '#libs/sip';
import { TransactionLayer, type TransactionConfig } from '#libs/transaction';
import type { InboundHandler, ListenSocketInfo, RemoteInfo, SendTarget, TransportLayer } from '#libs/transport';

export interface InProcessProxyOptions {
  /** the node's one (UDP) socket */
  sock: ListenSocketInfo;
  /** where new calls are routed */
  gateway: { address: string; port: number };
  /** every message the node puts on the wire */
  onSend(to: SendTarget, data: Buffer): void;
  /** host[:port] names that also mean this node */
  aliases?: readonly string[];
  tm?: Partial<TransactionConfig>;
  topology?: TopologyHiding;
  /** rejection codes of the features plugged in, besides sanity's and the proxy's */
  rejections?: readonly RejectionGroup[];
  logLevel?: 'silent' | 'warn';
  /** the call event stream the relay reports to (features subscribe to it) */
  events?: CallEvents;
  /** steps after routing (the feature seam's `final` place) */
  finalSteps?: readonly Step<RequestContext>[];
  /** steps before the transaction (the feature seam's `screening` place) */
  screeningSteps?: readonly Step<RequestContext>[];
}

export interface InProcessProxy {
  /** bytes arriving on the node's socket from `from` */
  deliver(data: Buffer, from: RemoteInfo): void;
  readonly tm: TransactionLayer;
  close(): void;
}

export function startInProcessProxy(opts: InProcessProxyOptions): InProcessProxy {
  const { sock } = opts;
  let handler: InboundHandler | undefined;
  const transport = {
    sockets: [sock],
    selectSocket: () => sock,
    send: (to: SendTarget, data: Buffer) => opts.onSend(to, data),
    onMessage: (h: InboundHandler) => { handler = h; },
  } as unknown as TransportLayer;
  const logger = pino({ level: opts.logLevel ?? 'silent' });
  const registry = new Registry();
  const cfg = loadConfig({ sections: [dispatcherSection], env: {}, text: `dispatcher: { sets: [{ setid: 1, uri: "sip:${opts.gateway.address}:${opts.gateway.port}" }] }`, file: 'in-process.yaml' });
  if (!cfg.ok) throw new Error('in-process proxy: config did not load');
  const sets = loadDispatcherSets(cfg.config.dispatcher);
  if (!sets.ok) throw new Error('in-process proxy: dispatcher sets did not load');
  const tm = new TransactionLayer({ send: (m, t) => transport.send(t, m.serialize()), logger, registry, config: opts.tm });
  const recorder = new RejectionRecorder({ catalog: createRejectionCatalog(SANITY_REJECTIONS, PROXY_REJECTIONS, ...(opts.rejections ?? [])), registry, logger });
  new SipProxy({
    config: { aliases: opts.aliases ?? [], serverHeader: '', sanity: resolveSanityConfig({}), limits: DEFAULT_PARSE_LIMITS },
    transport, tm, logger, registry, recorder,
    routing: [dispatchStep({ state: new DispatcherState(sets.sets), setId: 1, algorithm: 4, failover: { codes: new Set([503]), onTimeout: true, branchTimeoutMs: 3000 } }), ...(opts.finalSteps ?? [])],
    topology: opts.topology,
    ...(opts.screeningSteps !== undefined ? { screening: opts.screeningSteps } : {}),
    ...(opts.events !== undefined ? { events: opts.events } : {}),
  });
  return {
    deliver(data, from) {
      handler!({ data, remote: from, local: sock });
    },
    tm,
    close: () => tm.close(),
  };
}
