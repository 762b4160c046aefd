// One SBC node: wiring only. Reads nothing from the environment (main.ts
// does, through libs/config); composes state, bus, transports, transactions,
// the proxy pipeline and the HTTP face, and owns start/stop order.
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AdminRegistry } from '#libs/admin';
import { createMemoryBus, createNatsBus, type Bus } from '#libs/bus';
import { dispatcherFeature, type DispatcherState } from '#libs/dispatcher';
import { startFeatures, type AnyFeature } from '#libs/feature';
import { CallEvents, PROXY_REJECTIONS, SipProxy } from '#libs/proxy';
import { createRejectionCatalog, RejectionRecorder, SANITY_REJECTIONS } from '#libs/rejections';
import { ClusterConfig } from '#libs/replica';
import { resolveSanityConfig } from '#libs/sanity';
import { createMemoryState, createRedisState, topologyOf, type SharedState } from '#libs/state';
import { TransactionLayer } from '#libs/transaction';
import { TransportLayer } from '#libs/transport';
import { watchBackends } from './backends.ts';
import type { SbcConfig } from './config.ts';
import { SBC_FEATURES } from './features.ts';
import { startHttp } from './http.ts';
import { startPostLoadCollector } from './memory.ts';

export interface NodeOptions {
  config: SbcConfig;
  /** absolute path of the config file (anchors dispatcher.list_file), if any */
  configFile?: string;
  /** where a value came from, for errors found after loading */
  origin?: (path: string) => import('#libs/config').Origin | undefined;
  logger?: Logger;
  /** the features to run (default SBC_FEATURES); the config must hold their sections (sectionsFor) */
  features?: readonly AnyFeature[];
}

export interface SbcNode {
  readonly id: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly transport: TransportLayer;
  readonly proxy: SipProxy;
  /** the call event stream the relay feeds */
  readonly calls: CallEvents;
  /** the dispatcher's state, when the dispatcher feature runs */
  readonly dispatcher: DispatcherState | undefined;
  readonly httpPort: number;
  /** where /admin answers: httpPort, or admin.port when set */
  readonly adminPort: number;
  /** SIGTERM: stop taking new dialogs, let transactions finish (bounded by drainMs), close everything. */
  stop(drainMs?: number): Promise<void>;
}

export async function startNode(opts: NodeOptions): Promise<SbcNode> {
  const { config } = opts;
  const logger = opts.logger ?? pino({ level: config.log.level, base: { node: config.node.id } });
  const registry = new Registry();
  registry.setDefaultLabels({ node: config.node.id });
  // event-loop delay sampled every second, not every 10 ms (prom-client's default): half the idle CPU
  collectDefaultMetrics({ register: registry, prefix: 'sbc_', eventLoopMonitoringPrecision: 1000 });

  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try { await c(); } catch (err) { logger.warn({ err }, 'error while closing'); }
    }
  };

  try {
    // ---- shared state (Redis is the truth) and the bus (NATS is the news)
    const state: SharedState = config.state.backend === 'redis'
      ? await createRedisState({
          cluster: config.node.cluster,
          url: config.state.redis.url,
          topology: topologyOf({
            mode: config.state.redis.mode,
            url: config.state.redis.url,
            nodes: config.state.redis.nodes,
            sentinelName: config.state.redis.sentinel_name,
            ...(config.state.redis.sentinel_password !== undefined ? { sentinelPassword: config.state.redis.sentinel_password } : {}),
          }),
          keyPrefix: config.state.redis.key_prefix.replace(/:$/, ''),
          redis: { ...(config.state.redis.password !== undefined ? { password: config.state.redis.password } : {}), ...(config.state.redis.tls ? { tls: {} } : {}) },
          logger,
        })
      : createMemoryState({ cluster: config.node.cluster });
    closers.push(() => state.close());
    const bus: Bus = config.bus.servers.length > 0
      ? await createNatsBus({ servers: [...config.bus.servers], cluster: config.node.cluster, node: config.node.id, logger, registry })
      : createMemoryBus({ cluster: config.node.cluster, node: config.node.id, logger, registry });
    closers.push(() => bus.close());

    watchBackends({ state, bus, registry, logger, failMode: config.state.fail_mode });

    // ---- cluster-wide config documents (features read and replace theirs through it)
    const clusterConfig = await ClusterConfig.start({ state, bus, logger, registry, resyncIntervalMs: config.bus.resync_interval });
    closers.push(() => clusterConfig.close());

    // ---- SIP transports and transactions
    const l = config.sip.limits;
    const limits = { maxMessageBytes: l.max_message_bytes, maxHeaderCount: l.max_header_count, maxLineBytes: l.max_line_bytes, maxViaDepth: l.max_via_depth };
    const logRate = { perSecond: config.log.rejects.per_second, burst: config.log.rejects.burst };
    const transport = await TransportLayer.start({
      config: {
        listen: config.sip.listen.map((l) => ({ proto: l.proto, host: l.host, port: l.port, ...(l.advertise ? { advertise: { host: l.advertise.host, port: l.advertise.port } } : {}) })),
        tcp: {
          idleTimeoutMs: config.sip.tcp.idle_timeout,
          maxBufferBytes: config.sip.tcp.max_buffer_bytes,
          maxConnections: config.sip.tcp.max_connections,
          maxOutboundConnections: config.sip.tcp.max_outbound_connections,
          maxConnectionsPerIp: config.sip.tcp.max_connections_per_ip,
          firstMessageTimeoutMs: config.sip.tcp.first_message_timeout,
        },
        udp: {
          io: config.sip.udp.io,
          recvBufferSize: config.sip.udp.recv_buffer_bytes,
          ...(config.sip.udp.send_buffer_bytes !== undefined ? { sendBufferSize: config.sip.udp.send_buffer_bytes } : {}),
        },
      },
      logger,
      registry,
      limits,
      logRate,
    });
    closers.push(() => transport.close());
    const tm = new TransactionLayer({
      send: (msg, target) => transport.send(target, msg.serialize(), target.socket),
      config: { t1: config.tm.t1, t2: config.tm.t2, t4: config.tm.t4, frTimer: config.tm.fr_timer, frInvTimer: config.tm.fr_inv_timer, waitTimer: config.tm.wait_timer },
      logger,
      registry,
      logRate: { perSecond: config.log.rejects.per_second, burst: config.log.rejects.burst },
      limits: { maxServer: config.tm.max_transactions, maxServerPerSource: config.tm.max_transactions_per_source },
    });
    closers.push(() => tm.close());
    const collector = startPostLoadCollector({ live: () => tm.size(), logger });
    closers.push(() => collector.stop());

    // ---- features: each from its descriptor (config section, steps, admin, rejections, metrics, lifecycle)
    const calls = new CallEvents((err, event) => logger.error({ err, event: event.type }, 'call event listener threw'));
    const features = await startFeatures(opts.features ?? SBC_FEATURES, {
      config, state, bus, registry, logger, clusterConfig, calls, transport,
      sip: { sendRequest: (req, target, o) => tm.sendRequest(req, target, o), selectSocket: (target, via) => transport.selectSocket(target, via) },
      ...(opts.configFile ? { baseDir: dirname(opts.configFile) } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
    });
    closers.push(() => features.stop((err, feature) => logger.warn({ err, feature }, 'error while stopping a feature')));
    // a TCP connection from a source the gates refuse (banned) is closed at accept
    const gates = features.gates;
    transport.setAdmission((remote) => gates.every((g) => g.check(remote) === undefined));

    // ---- the proxy pipeline: core steps with the features' steps in their places
    const catalog = createRejectionCatalog(SANITY_REJECTIONS, PROXY_REJECTIONS, features.rejections);
    const recorder = new RejectionRecorder({ catalog, registry, logger, logRate });
    const proxy: SipProxy = new SipProxy({
      config: {
        aliases: config.sip.aliases,
        serverHeader: config.sip.server_header,
        sanity: resolveSanityConfig({ proxyRequireSupported: config.sanity.proxy_require, maxForwardsDefault: config.sanity.max_forwards, maxForwardsLimit: config.sanity.max_forwards_limit }),
        limits,
        malformedReplies: { perSecond: config.sip.malformed_replies.per_second, burst: config.sip.malformed_replies.burst },
      },
      transport,
      tm,
      logger,
      registry,
      recorder,
      gates: features.gates,
      screening: features.steps.screening,
      routing: [...features.steps.routing, ...features.steps.final],
      ...(features.scrubRelayed !== undefined ? { scrubRelayed: features.scrubRelayed } : {}),
      ...(features.topology !== undefined ? { topology: features.topology } : {}),
      events: calls,
      logRate: { perSecond: config.log.rejects.per_second, burst: config.log.rejects.burst },
    });

    // ---- HTTP: metrics, health, admin
    const admin = new AdminRegistry();
    for (const c of features.admin) admin.register(c);
    admin.register({ name: 'core.info', mutates: false, help: 'Node id, cluster, listen sockets and backends.', run: () => ({
      node: config.node.id,
      cluster: config.node.cluster,
      sockets: transport.sockets,
      features: (opts.features ?? SBC_FEATURES).map((f) => f.name),
      pipeline: proxy.pipeline.names,
      state: state.backend,
      stateUp: state.status().up,
      busUp: bus.isUp(),
      transactions: tm.size(),
      draining: proxy.isDraining,
    }) });
    const http = await startHttp({
      config,
      registry,
      commands: admin,
      logger,
      notReadyReason: () => proxy.isDraining ? 'draining' : notReadyState(state),
    });
    closers.push(() => http.close());
    const { httpPort, adminPort } = http;

    logger.info({ sockets: transport.sockets.map((s) => s.id), http: `${config.http.host}:${httpPort}`, admin: adminPort === httpPort ? 'on the http port' : `${config.admin.host}:${adminPort}`, state: state.backend, bus: config.bus.servers.length > 0 ? 'nats' : 'memory' }, 'sbc node started');

    let stopping: Promise<void> | undefined;
    return {
      id: config.node.id,
      logger,
      registry,
      transport,
      proxy,
      calls,
      dispatcher: features.provided(dispatcherFeature)?.state,
      httpPort,
      adminPort,
      stop(drainMs = 5000) {
        stopping ??= (async () => {
          proxy.drain();
          const deadline = Date.now() + drainMs;
          while (tm.size() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          logger.info({ transactionsLeft: tm.size() }, 'sbc node stopping');
          await closeAll();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** why the shared state makes the node not ready (the last reason Redis gave: WRONGPASS, ECONNREFUSED...), or undefined */
function notReadyState(state: SharedState): string | undefined {
  const s = state.status();
  return s.up ? undefined : `state backend down: ${s.error.message}`;
}
