// One SBC node: wiring only. Reads nothing from the environment (main.ts
// does, through libs/config); composes state, bus, transports, transactions,
// the proxy pipeline and the HTTP face, and owns start/stop order.
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { AdminError, AdminRegistry, createHttpServer } from '#libs/admin';
import { BAN_TABLE, BANS_REJECTIONS, bansAdminCommands, bansFailClosedStep, bansGate, createBanMetrics } from '#libs/bans';
import { createMemoryBus, createNatsBus, type Bus } from '#libs/bus';
import { loadConfig, formatConfigErrors, nodeSections } from '#libs/config';
import { DISPATCHER_REJECTIONS, DispatcherState, dispatchStep, dispatcherAdminCommands, loadDispatcherSets, type AlgorithmId, type DestinationSet } from '#libs/dispatcher';
import { applyPermissionsDoc, createPermissions, PERMISSIONS_CONFIG_KIND, permissionsApplyCommand } from '#libs/permissions';
import { createPike, PIKE_REJECTIONS } from '#libs/pike';
import { createHeaderHygiene, createSecfilter, hygieneOptions, hygieneStep, SECFILTER_REJECTIONS } from '#libs/secfilter';
import { PROXY_REJECTIONS, SipProxy } from '#libs/proxy';
import { createRejectionCatalog, RejectionRecorder, SANITY_REJECTIONS } from '#libs/rejections';
import { ClusterConfig, ReplicatedTable } from '#libs/replica';
import { resolveSanityConfig } from '#libs/sanity';
import { createMemoryState, createRedisState, type SharedState } from '#libs/state';
import { TransactionLayer } from '#libs/transaction';
import { TransportLayer } from '#libs/transport';
import { parseUri } from '#libs/sip';
import type { SbcConfig } from './config.ts';

export interface NodeOptions {
  config: SbcConfig;
  /** absolute path of the config file (anchors dispatcher.list_file), if any */
  configFile?: string;
  /** where a value came from, for errors found after loading */
  origin?: (path: string) => import('#libs/config').Origin | undefined;
  logger?: Logger;
}

/** The config kind carrying dispatcher sets, hot-reloaded cluster-wide (ClusterConfig). */
const DISPATCHER_CONFIG_KIND = 'dispatcher';

export interface SbcNode {
  readonly id: string;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly transport: TransportLayer;
  readonly proxy: SipProxy;
  readonly dispatcher: DispatcherState;
  readonly httpPort: number;
  /** SIGTERM: stop taking new dialogs, let transactions finish (bounded by drainMs), close everything. */
  stop(drainMs?: number): Promise<void>;
}

export async function startNode(opts: NodeOptions): Promise<SbcNode> {
  const { config } = opts;
  const logger = opts.logger ?? pino({ level: config.log.level, base: { node: config.node.id } });
  const registry = new Registry();
  registry.setDefaultLabels({ node: config.node.id });
  // event-loop delay sampled every second, not every 10 ms (prom-client's default): half the idle CPU
  collectDefaultMetrics({ register: registry, prefix: 'sbc_process_', eventLoopMonitoringPrecision: 1000 });

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
          keyPrefix: config.state.redis.keyPrefix.replace(/:$/, ''),
          redis: { ...(config.state.redis.password !== undefined ? { password: config.state.redis.password } : {}), ...(config.state.redis.tls ? { tls: {} } : {}) },
          logger,
        })
      : createMemoryState({ cluster: config.node.cluster });
    closers.push(() => state.close());
    const bus: Bus = config.bus.servers.length > 0
      ? await createNatsBus({ servers: [...config.bus.servers], cluster: config.node.cluster, node: config.node.id, logger, registry })
      : createMemoryBus({ cluster: config.node.cluster, node: config.node.id, logger, registry });
    closers.push(() => bus.close());

    const backendUp = new Gauge({ name: 'sbc_backend_up', help: '1 when the backend answers (redis: shared state; nats: cluster news)', labelNames: ['backend'], registers: [registry] });
    backendUp.set({ backend: 'redis' }, state.backend === 'redis' ? (state.status().up ? 1 : 0) : 1);
    backendUp.set({ backend: 'nats' }, bus.isUp() ? 1 : 0);
    state.onStatus((s) => {
      backendUp.set({ backend: 'redis' }, s.up ? 1 : 0);
      if (s.up) logger.info({ backend: 'redis' }, 'state backend up');
      else logger.warn({ backend: 'redis', err: s.error, failMode: config.state.fail_mode }, 'state backend down: features follow state.fail_mode');
    });
    bus.onStatus((s) => backendUp.set({ backend: 'nats' }, s.type === 'connected' || s.type === 'reconnected' ? 1 : 0));

    // ---- cluster-wide tables and config
    const bans = await ReplicatedTable.start({ name: BAN_TABLE, channel: 'ban', state, bus, logger, registry, resyncIntervalMs: config.bus.resyncIntervalMs });
    closers.push(() => bans.close());
    createBanMetrics(registry, bans);
    const clusterConfig = await ClusterConfig.start({ state, bus, logger, registry, resyncIntervalMs: config.bus.resyncIntervalMs });
    closers.push(() => clusterConfig.close());

    // ---- permissions (ACL): rule files and tables, replaced cluster-wide through ClusterConfig
    const permissions = createPermissions({ config: config.permissions, registry, logger, ...(opts.configFile ? { baseDir: dirname(opts.configFile) } : {}) });
    const permDoc = clusterConfig.get(PERMISSIONS_CONFIG_KIND);
    if (permDoc !== undefined) applyPermissionsDoc(permissions, permDoc.doc);
    clusterConfig.onChange((kind, doc) => { if (kind === PERMISSIONS_CONFIG_KIND) applyPermissionsDoc(permissions, doc); });

    // ---- dispatcher: sets from the file/config, or the cluster's current ones
    const loaded = loadDispatcherSets(config.dispatcher, { origin: opts.origin, localSockets: config.sip.listen });
    if (!loaded.ok) throw new Error(formatConfigErrors(loaded.errors));
    const dispatcher = new DispatcherState(loaded.sets, { logger });
    const applyDispatcherDoc = (doc: string, version: number) => {
      const sets = parseDispatcherDoc(doc, config);
      if (typeof sets === 'string') { logger.error({ version, problem: sets }, 'dispatcher config from the cluster rejected'); return; }
      const summary = dispatcher.reload(sets);
      logger.info({ version, ...summary }, 'dispatcher sets reloaded from cluster config');
    };
    const current = clusterConfig.get(DISPATCHER_CONFIG_KIND);
    if (current !== undefined) applyDispatcherDoc(current.doc, current.version);
    clusterConfig.onChange((kind, doc, version) => { if (kind === DISPATCHER_CONFIG_KIND) applyDispatcherDoc(doc, version); });
    new Gauge({
      name: 'sbc_dispatcher_destination_up',
      help: '1 when a dispatcher destination is selectable (active or probing), 0 when inactive or disabled',
      labelNames: ['set', 'uri', 'state'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of dispatcher.list()) for (const d of s.destinations) this.set({ set: String(s.id), uri: d.uri, state: d.state }, d.state === 'active' || d.state === 'probing' ? 1 : 0);
      },
    });

    // ---- SIP: transports, transactions, proxy pipeline
    const limits = config.sip.limits;
    const transport = await TransportLayer.start({
      config: {
        listen: config.sip.listen.map((l) => ({ proto: l.proto, host: l.host, port: l.port, ...(l.advertise ? { advertise: { host: l.advertise.host, port: l.advertise.port } } : {}) })),
        tcp: { idleTimeoutMs: config.sip.tcp.idleTimeoutMs, maxBufferBytes: config.sip.tcp.maxBufferBytes},
      },
      logger,
      registry,
      limits,
      logRate: { perSecond: config.log.rejects.perSecond, burst: config.log.rejects.burst },
    });
    closers.push(() => transport.close());
    const tm = new TransactionLayer({
      send: (msg, target) => transport.send(target, msg.serialize()),
      config: { t1: config.tm.t1, t2: config.tm.t2, t4: config.tm.t4, frTimer: config.tm.fr_timer, frInvTimer: config.tm.fr_inv_timer, waitTimer: config.tm.wait_timer },
      logger,
      registry,
    });
    closers.push(() => tm.close());
    const catalog = createRejectionCatalog(SANITY_REJECTIONS, PROXY_REJECTIONS, BANS_REJECTIONS, DISPATCHER_REJECTIONS, PIKE_REJECTIONS, permissions.rejections, SECFILTER_REJECTIONS);
    const recorder = new RejectionRecorder({ catalog, registry, logger, logRate: { perSecond: config.log.rejects.perSecond, burst: config.log.rejects.burst } });
    const failoverCodes = new Set<number>();
    let failoverOnTimeout = false;
    for (const c of config.dispatcher.failover_codes) {
      if (c === 'timeout') failoverOnTimeout = true; else failoverCodes.add(c);
    }
    // pike: own addresses and gateways are never counted (Kamailio seeds exempt them too)
    // ... and neither is the permissions trusted address group (ip or CIDR rows)
    const trustedGroup = config.permissions.trusted_group;
    const trustedRows = trustedGroup === undefined ? [] : config.permissions.address.filter((r) => r.group === trustedGroup).map((r) => r.ip);
    const ownHosts = [...config.sip.listen.flatMap((l) => (l.advertise ? [l.host, l.advertise.host] : [l.host])), ...trustedRows];
    const gatewayHosts = () => dispatcher.list().flatMap((s) => s.destinations.map((d) => parseUri(d.uri)?.host ?? '')).filter((h) => h !== '');
    const pike = createPike({
      config: config.pike, state, bans, exempt: [...ownHosts, ...gatewayHosts()], registry, logger,
      responder: { recorder, reply: (ctx, status, reason, headers) => proxy.reply(ctx, status, reason, headers) },
    });
    closers.push(() => pike.close());
    dispatcher.on('reload', () => pike.setExempt([...ownHosts, ...gatewayHosts()]));
    const secfilter = createSecfilter({ config: config.secfilter, registry, logger });
    const hygiene = createHeaderHygiene(hygieneOptions(config.hygiene));
    const proxy: SipProxy = new SipProxy({
      config: {
        aliases: config.sip.aliases,
        serverHeader: config.sip.server_header,
        failover: { codes: failoverCodes, onTimeout: failoverOnTimeout, branchTimeoutMs: config.dispatcher.failover_timeout_ms },
        sanity: resolveSanityConfig({}),
        limits,
      },
      transport,
      tm,
      logger,
      registry,
      recorder,
      gates: [bansGate(bans)],
      screening: [...(config.state.fail_mode.bans === 'closed' ? [bansFailClosedStep(() => state.status().up)] : []), pike.step, secfilter.step, permissions.step],
      scrubRelayed: (m) => hygiene.scrub(m),
      routing: [dispatchStep({
        state: dispatcher,
        setId: config.routing.calls_set ?? config.dispatcher.default_set,
        algorithm: config.dispatcher.algorithm as AlgorithmId,
        loadsOf: (duids: readonly string[]) => state.callLoad.counts([...duids]),
        failMode: config.state.fail_mode.dispatcher,
      }), hygieneStep(hygiene)],
    });

    // ---- HTTP: metrics, health, admin
    const admin = new AdminRegistry();
    for (const c of dispatcherAdminCommands({ state: dispatcher })) admin.register(c);
    for (const c of bansAdminCommands(bans)) admin.register(c);
    for (const c of pike.admin) admin.register(c);
    for (const c of secfilter.admin) admin.register(c);
    for (const c of permissions.admin) admin.register(c);
    admin.register(permissionsApplyCommand(permissions, (doc) => clusterConfig.apply(PERMISSIONS_CONFIG_KIND, doc)));
    admin.register({
      name: 'dispatcher.apply',
      help: 'Replace the destination sets on every node of the cluster: {"sets":[{"setid":1,"uri":"sip:10.0.0.5:5060","flags":0,"priority":0,"attrs":"duid=gw1"}]}.',
      params: { sets: 'list of destinations, the fields of a dispatcher.list line' },
      async run(p) {
        const doc = JSON.stringify({ sets: p.sets });
        const check = parseDispatcherDoc(doc, config);
        if (typeof check === 'string') throw new AdminError(check, 422);
        const applied = await clusterConfig.apply(DISPATCHER_CONFIG_KIND, doc);
        return { version: applied.version, destinations: check.reduce((n, s) => n + s.destinations.length, 0) };
      },
    });
    admin.register({ name: 'core.info', help: 'Node id, cluster, listen sockets and backends.', run: () => ({
      node: config.node.id,
      cluster: config.node.cluster,
      sockets: transport.sockets,
      state: state.backend,
      stateUp: state.status().up,
      busUp: bus.isUp(),
      transactions: tm.size(),
      draining: proxy.isDraining,
    }) });
    const http: Server = createHttpServer({
      registry,
      admin,
      notReadyReason: () => proxy.isDraining ? 'draining' : (state.status().up ? undefined : 'state backend down'),
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.http.port, config.http.host, () => resolve());
    });
    closers.push(() => new Promise<void>((r) => { http.closeAllConnections(); http.close(() => r()); }));
    const httpPort = (http.address() as AddressInfo).port;

    logger.info({ sockets: transport.sockets.map((s) => s.id), http: `${config.http.host}:${httpPort}`, state: state.backend, bus: config.bus.servers.length > 0 ? 'nats' : 'memory' }, 'sbc node started');

    let stopping: Promise<void> | undefined;
    return {
      id: config.node.id,
      logger,
      registry,
      transport,
      proxy,
      dispatcher,
      httpPort,
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

/** Dispatcher sets from a cluster config document: JSON {sets: [...]} with the YAML config's fields. */
function parseDispatcherDoc(doc: string, base: SbcConfig): DestinationSet[] | string {
  let parsed: unknown;
  try { parsed = JSON.parse(doc); } catch { return 'dispatcher document is not JSON'; }
  const sets = (parsed as { sets?: unknown }).sets;
  if (!Array.isArray(sets)) return 'dispatcher document needs "sets": a list of destinations';
  const res = loadConfig({ sections: nodeSections, env: {}, text: JSON.stringify({ dispatcher: { sets } }), file: '<cluster dispatcher config>' });
  if (!res.ok) return formatConfigErrors(res.errors);
  const loaded = loadDispatcherSets({ ...res.config.dispatcher, list_file: undefined }, { localSockets: base.sip.listen });
  return loaded.ok ? loaded.sets : formatConfigErrors(loaded.errors);
}
