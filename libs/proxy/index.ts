// libs/proxy: the stateful SIP proxy core (Kamailio tm + rr + sl in one), and
// the call event stream (call-events.ts) features subscribe to:
// source gates -> parse -> sanity -> screening steps -> transaction -> admission ->
// options-self -> [topology restore] -> loose-route -> record-route -> routing steps ->
// [topology prepare] -> relay.
export { SipProxy, type ProxyConfig, type ProxyDeps, type SourceGate } from './proxy.ts';
export { sourceTarget, type Hop, type RequestContext } from './context.ts';
export { CallEvents, type CallEvent, type CallEventType, type CallEventBase, type CallEventListener, type BranchInfo } from './call-events.ts';
export { hopForUri, recordRouteValue, routeFtag, viaValue, relayBranch } from './hops.ts';
export { OwnAddresses } from './own-addresses.ts';
export { settleStep } from './steps/settle.ts';
export { PROXY_REJECTIONS } from './rejections.ts';
export { PROXY_METRIC_NAMES, methodLabel } from './metrics.ts';
export type { FailoverPolicy } from './context.ts';
export type { TopologyHiding } from './topology.ts';
