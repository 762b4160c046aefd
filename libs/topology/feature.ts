// The topology feature: topology hiding (topoh codec or topos dialog store)
// behind the proxy's TopologyHiding hook.
import type { NodeConfig } from '#libs/config';
import { defineFeature } from '#libs/feature';
import type { SipMessage } from '#libs/sip';
import { topologySection } from './config.ts';
import { createTopologyHiding, type TopologyDeps } from './index.ts';
import { TOPOLOGY_REJECTIONS } from './rejections.ts';

/** What later features reach through ctx.use(topologyFeature). */
export interface TopologyHandle {
  /** the Call-ID the other leg of a call started by `msg` carries (mask_callid), if it differs */
  otherLegCallId(msg: SipMessage): string | undefined;
}

export const topologyFeature = defineFeature<NodeConfig & { readonly topology: TopologyDeps['config'] }, TopologyHandle>({
  name: 'topology',
  doc: 'Topology hiding: topoh (sealed headers, stateless) or topos (dialogs in the shared state).',
  sections: [topologySection],
  rejections: Object.values(TOPOLOGY_REJECTIONS),
  start(ctx) {
    // topoh masks URIs with the first listener's advertised address unless mask_ip says otherwise
    const first = ctx.transport.sockets[0];
    const host = first.advertisedHost.includes(':') ? `[${first.advertisedHost}]` : first.advertisedHost;
    const topology = createTopologyHiding({ config: ctx.config.topology, dialogs: ctx.state.dialogs, defaultMaskIp: `${host}:${first.advertisedPort}` });
    const provides: TopologyHandle = { otherLegCallId: (msg) => topology?.otherLegCallId(msg) };
    return topology === undefined ? { provides } : { topology, provides };
  },
});
