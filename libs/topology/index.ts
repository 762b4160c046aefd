// libs/topology: topology hiding for the proxy (Kamailio topoh and topos),
// behind the proxy's TopologyHiding hook (libs/proxy/topology.ts).
//   topologySection         the `topology` config section
//   createTopologyHiding    the hook for the configured mode (undefined for none)
//   createTopohHiding       stateless: libs/topoh tokens, any node, restart-proof
//   createToposHiding       stateful: dialogs in the shared DialogStore (Redis)
//   TOPOLOGY_REJECTIONS     bad token (400), unknown dialog (481), store down (503)
import type { TopologyHiding } from '#libs/proxy';
import type { DialogStore } from '#libs/state';
import { createTopohCodec } from '#libs/topoh';
import { topohOptions, type topologySection } from './config.ts';
import { createTopohHiding } from './topoh.ts';
import { createToposHiding } from './topos.ts';

export { topologySection, topohOptions } from './config.ts';
export { TOPOLOGY_REJECTIONS } from './rejections.ts';
export { createTopohHiding, type TopohHidingOptions } from './topoh.ts';
export { createToposHiding, toposToken, type ToposHidingOptions } from './topos.ts';
export { rewriteSdp, type SdpMode } from './headers.ts';

type TopologyConfig = Parameters<(typeof topologySection)['checks'][number]>[0];

export interface TopologyDeps {
  config: TopologyConfig;
  dialogs: DialogStore;
  /** host[:port] for topoh masked URIs when mask_ip is unset (the first listener's advertised address) */
  defaultMaskIp: string;
}

export function createTopologyHiding({ config, dialogs, defaultMaskIp }: TopologyDeps): TopologyHiding | undefined {
  switch (config.mode) {
    case 'none':
      return undefined;
    case 'topoh':
      return createTopohHiding({ codec: createTopohCodec(topohOptions(config, config.mask_ip ?? defaultMaskIp)), sdp: config.sdp });
    case 'topos':
      return createToposHiding({
        dialogs,
        maskCallId: config.mask_callid,
        sdp: config.sdp,
        branchExpireMs: config.branch_expire,
        dialogExpireMs: config.dialog_expire,
      });
  }
}
export { topologyFeature, type TopologyHandle } from './feature.ts';
