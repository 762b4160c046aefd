// The topology feature: topology hiding (topoh codec or topos dialog store)
// behind the proxy's TopologyHiding hook.
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import { topologySection } from './config.ts';
import { createTopologyHiding, type TopologyDeps } from './index.ts';
import { TOPOLOGY_REJECTIONS } from './rejections.ts';

export const topologyFeature = defineFeature<NodeConfig & { readonly topology: TopologyDeps['config'] }>({
  name: 'topology',
  doc: 'Topology hiding: topoh (sealed headers, stateless) or topos (dialogs in the shared state).',
  sections: [topologySection],
  rejections: Object.values(TOPOLOGY_REJECTIONS),
  start(ctx) {
    // topoh masks URIs with the first listener's advertised address unless mask_ip says otherwise
    const first = ctx.transport.sockets[0];
    const host = first.advertisedHost.includes(':') ? `[${first.advertisedHost}]` : first.advertisedHost;
    const topology = createTopologyHiding({ config: ctx.config.topology, dialogs: ctx.state.dialogs, defaultMaskIp: `${host}:${first.advertisedPort}` });
    return topology === undefined ? {} : { topology };
  },
});
