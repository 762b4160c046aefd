// The dispatcher feature: destination sets from the config (and
// dispatcher.list), replaced cluster-wide through ClusterConfig, exported as
// a gauge, administered with dispatcher.* commands, and the `dispatch`
// routing step (ds_select_dst).
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AdminError, type AdminCommand } from '#libs/admin';
import { configError, formatConfigErrors, loadConfig, type ConfigError, type NodeConfig, type Origin } from '#libs/config';
import { dispatcherSection, routingSection, type DispatcherConfig, type RoutingConfig } from './config.ts';
import { defineFeature } from '#libs/feature';
import type { ClusterConfig } from '#libs/replica';
import { dispatcherAdminCommands } from './admin.ts';
import { loadDispatcherSets } from './build.ts';
import { watchCalls } from './call-watch.ts';
import { DISPATCHER_METRIC_NAMES } from './metrics.ts';
import { parseReplyCodes } from './reply-codes.ts';
import { startDispatcherCluster } from './runtime.ts';
import { DispatcherState, type ReloadSummary } from './state.ts';
import { DISPATCHER_REJECTIONS, dispatchStep, failoverPolicyOf } from './step.ts';
import type { AlgorithmId, DestinationSet } from './types.ts';

/** What the dispatcher reads: the core sections and its own two. */
type SbcConfig = NodeConfig & { readonly dispatcher: DispatcherConfig; readonly routing: RoutingConfig };

/** The lease group of per-request pins (cluster rule 1). */
const PIN_GROUP = 'ds-pin';

/** The ClusterConfig kind carrying dispatcher sets. */
export const DISPATCHER_CONFIG_KIND = 'dispatcher';

export interface DispatcherDeps {
  config: SbcConfig;
  clusterConfig: ClusterConfig;
  logger: Logger;
  registry: Registry;
  origin?: (path: string) => Origin | undefined;
  /** anchors a relative dispatcher.list_file (the config file's folder) */
  baseDir?: string;
  /** active calls per duid (dispatcher.list) */
  callsOf?: (duids: string[]) => Promise<ReadonlyMap<string, number>>;
}

/** What the dispatcher gives later features (pike exempts the gateways; call-event consumers find destinations). */
export interface DispatcherHandle {
  readonly state: DispatcherState;
}

export const dispatcherFeature = defineFeature<SbcConfig, DispatcherHandle>({
  name: 'dispatcher',
  doc: 'Destination sets, selection algorithms, destination states shared cluster-wide, OPTIONS probing split among the nodes, call load (Kamailio dispatcher); the `dispatch` routing step.',
  sections: [dispatcherSection, routingSection],
  rejections: Object.values(DISPATCHER_REJECTIONS),
  metrics: [...DISPATCHER_METRIC_NAMES],
  async start(ctx) {
    const { config, state } = ctx;
    const ds = config.dispatcher;
    const replyOk = parseReplyCodes(ds.ds_ping_reply_codes);
    if (typeof replyOk === 'string') throw new Error(formatConfigErrors([configError('check', 'dispatcher.ds_ping_reply_codes', replyOk, ctx.origin?.('dispatcher.ds_ping_reply_codes'))]));
    const { dispatcher, admin } = startDispatcher({ config, clusterConfig: ctx.clusterConfig, logger: ctx.logger, registry: ctx.registry, origin: ctx.origin, baseDir: ctx.baseDir, callsOf: (duids) => state.callLoad.counts(duids) });
    const cluster = await startDispatcherCluster({
      ds: dispatcher, config: ds, nodeId: config.node.id, state, bus: ctx.bus, tm: ctx.sip, selectSocket: ctx.sip.selectSocket,
      logger: ctx.logger, registry: ctx.registry, resyncIntervalMs: config.bus.resync_interval,
    });
    const algorithm = ds.algorithm as AlgorithmId;
    const failover = failoverPolicyOf(ds);
    // only when there is something to learn: a listener makes the relay build call events for every request
    const watch = ds.mark_on_failure !== '' || algorithm === 10;
    const stopWatching = !watch ? () => undefined : watchCalls({
      ds: dispatcher, calls: ctx.calls, logger: ctx.logger, metrics: cluster.metrics,
      ...(ds.mark_on_failure !== '' ? { mark: { kind: ds.mark_on_failure.startsWith('i') ? 'inactive' : 'probing', probe: ds.mark_on_failure.endsWith('p') } as const } : {}),
      failover,
      thresholds: cluster.rules.thresholds,
      ...(algorithm === 10 ? { callLoad: state.callLoad } : {}),
      initExpireMs: ds.ds_hash_initexpire,
      expireMs: ds.ds_hash_expire,
    });
    const step = dispatchStep({
      state: dispatcher,
      setId: config.routing.calls_set ?? ds.default_set,
      algorithm,
      loadsOf: (duids: readonly string[]) => state.callLoad.counts([...duids]),
      startCall: async (duids, callId, maxLoads) => {
        const r = await state.callLoad.startLeastLoaded([...duids], callId || 'no-call-id', ds.ds_hash_initexpire, maxLoads);
        return r && { duid: r.dest, counts: r.counts };
      },
      // cluster rule 1: a retransmission reaching another node goes where the original went (64*T1: the transaction's lifetime)
      ...(state.backend === 'redis' ? { pin: (key: string, uri: string) => state.leases.claim(PIN_GROUP, key, uri, 64 * config.tm.t1) } : {}),
      failMode: config.state.fail_mode.dispatcher,
      failover,
    });
    return {
      steps: [{ place: 'routing', step }],
      admin,
      provides: { state: dispatcher },
      async stop() {
        stopWatching();
        await cluster.stop();
      },
    };
  },
});

function startDispatcher(deps: DispatcherDeps): { dispatcher: DispatcherState; admin: AdminCommand[] } {
  const { config, clusterConfig, logger } = deps;
  const loaded = loadDispatcherSets(config.dispatcher, { origin: deps.origin, localSockets: config.sip.listen });
  if (!loaded.ok) throw new Error(formatConfigErrors(loaded.errors));
  const dispatcher = new DispatcherState(loaded.sets, { logger });

  const applyDoc = (doc: string, version: number) => {
    const sets = parseDispatcherDoc(doc, config);
    if (typeof sets === 'string') {
      logger.error({ version, problem: sets }, 'dispatcher config from the cluster rejected');
      return;
    }
    logger.info({ version, ...dispatcher.reload(sets) }, 'dispatcher sets reloaded from cluster config');
  };
  const current = clusterConfig.get(DISPATCHER_CONFIG_KIND);
  if (current !== undefined) applyDoc(current.doc, current.version);
  clusterConfig.onChange((kind, doc, version) => { if (kind === DISPATCHER_CONFIG_KIND) applyDoc(doc, version); });

  const apply: AdminCommand = {
    name: 'dispatcher.apply',
    mutates: true,
    help: 'Replace the destination sets on every node of the cluster: {"sets":[{"setid":1,"uri":"sip:10.0.0.5:5060","flags":0,"priority":0,"attrs":"duid=gw1"}]}.',
    params: { sets: 'list of destinations, the fields of a dispatcher.list line' },
    async run(p) {
      const doc = JSON.stringify({ sets: p.sets });
      const check = parseDispatcherDoc(doc, config);
      if (typeof check === 'string') throw new AdminError(check, 422);
      const applied = await clusterConfig.apply(DISPATCHER_CONFIG_KIND, doc);
      return { version: applied.version, destinations: check.reduce((n, s) => n + s.destinations.length, 0) };
    },
  };
  // dispatcher.reload: this node re-reads the list file and inline sets, and
  // every node takes them through the cluster config (so do later nodes)
  const reload = async (): Promise<{ ok: true; summary: ReloadSummary } | { ok: false; errors: readonly ConfigError[] }> => {
    const listFile = config.dispatcher.list_file;
    const file = listFile !== undefined && deps.baseDir !== undefined && !isAbsolute(listFile) ? resolvePath(deps.baseDir, listFile) : listFile;
    const loaded = loadDispatcherSets({ ...config.dispatcher, ...(file !== undefined ? { list_file: file } : {}) }, { origin: deps.origin, localSockets: config.sip.listen });
    if (!loaded.ok) return { ok: false, errors: loaded.errors };
    const doc = JSON.stringify({ sets: loaded.sets.flatMap((set) => set.destinations.map((d) => ({ setid: set.id, uri: d.uri, flags: d.flags, priority: d.priority, attrs: d.attrs.text }))) });
    const before = dispatcher.list().reduce((n, x) => n + x.destinations.length, 0);
    await clusterConfig.apply(DISPATCHER_CONFIG_KIND, doc);
    const after = dispatcher.list().reduce((n, x) => n + x.destinations.length, 0);
    return { ok: true, summary: { added: Math.max(0, after - before), removed: Math.max(0, before - after), kept: Math.min(before, after) } };
  };
  return { dispatcher, admin: [...dispatcherAdminCommands({ state: dispatcher, reload, callsOf: deps.callsOf }), apply] };
}

/** Dispatcher sets from a cluster config document: JSON {sets: [...]} with the YAML config's fields. */
function parseDispatcherDoc(doc: string, base: SbcConfig): DestinationSet[] | string {
  let parsed: unknown;
  try { parsed = JSON.parse(doc); } catch { return 'dispatcher document is not JSON'; }
  const sets = (parsed as { sets?: unknown }).sets;
  if (!Array.isArray(sets)) return 'dispatcher document needs "sets": a list of destinations';
  const res = loadConfig({ sections: [dispatcherSection], env: {}, text: JSON.stringify({ dispatcher: { sets } }), file: '<cluster dispatcher config>' });
  if (!res.ok) return formatConfigErrors(res.errors);
  const loaded = loadDispatcherSets({ ...res.config.dispatcher, list_file: undefined }, { localSockets: base.sip.listen });
  return loaded.ok ? loaded.sets : formatConfigErrors(loaded.errors);
}
