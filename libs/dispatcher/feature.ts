// The dispatcher feature: destination sets from the config (and
// dispatcher.list), replaced cluster-wide through ClusterConfig, exported as
// a gauge, administered with dispatcher.* commands, and the `dispatch`
// routing step (ds_select_dst).
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { AdminError, type AdminCommand } from '#libs/admin';
import { formatConfigErrors, loadConfig, nodeSections, type NodeConfig, type Origin } from '#libs/config';
import { defineFeature } from '#libs/feature';
import type { ClusterConfig } from '#libs/replica';
import { dispatcherAdminCommands } from './admin.ts';
import { loadDispatcherSets } from './build.ts';
import { DispatcherState } from './state.ts';
import { DISPATCHER_REJECTIONS, dispatchStep } from './step.ts';
import type { AlgorithmId, DestinationSet } from './types.ts';

type SbcConfig = NodeConfig;

/** The ClusterConfig kind carrying dispatcher sets. */
export const DISPATCHER_CONFIG_KIND = 'dispatcher';

export interface DispatcherDeps {
  config: SbcConfig;
  clusterConfig: ClusterConfig;
  logger: Logger;
  registry: Registry;
  origin?: (path: string) => Origin | undefined;
}

/** What the dispatcher gives later features (pike exempts the gateways; call-event consumers find destinations). */
export interface DispatcherHandle {
  readonly state: DispatcherState;
}

export const dispatcherFeature = defineFeature<NodeConfig, DispatcherHandle>({
  name: 'dispatcher',
  doc: 'Destination sets, selection algorithms and destination states (Kamailio dispatcher); the `dispatch` routing step.',
  rejections: Object.values(DISPATCHER_REJECTIONS),
  metrics: ['sbc_dispatcher_destination_up'],
  start(ctx) {
    const { config, state } = ctx;
    const { dispatcher, admin } = startDispatcher({ config, clusterConfig: ctx.clusterConfig, logger: ctx.logger, registry: ctx.registry, origin: ctx.origin });
    const step = dispatchStep({
      state: dispatcher,
      setId: config.routing.calls_set ?? config.dispatcher.default_set,
      algorithm: config.dispatcher.algorithm as AlgorithmId,
      loadsOf: (duids: readonly string[]) => state.callLoad.counts([...duids]),
      failMode: config.state.fail_mode.dispatcher,
    });
    return { steps: [{ place: 'routing', step }], admin, provides: { state: dispatcher } };
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

  new Gauge({
    name: 'sbc_dispatcher_destination_up',
    help: '1 when a dispatcher destination is selectable (active or probing), 0 when inactive or disabled',
    labelNames: ['set', 'uri', 'state'],
    registers: [deps.registry],
    collect() {
      this.reset();
      for (const s of dispatcher.list()) for (const d of s.destinations) this.set({ set: String(s.id), uri: d.uri, state: d.state }, d.state === 'active' || d.state === 'probing' ? 1 : 0);
    },
  });

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
  return { dispatcher, admin: [...dispatcherAdminCommands({ state: dispatcher }), apply] };
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
