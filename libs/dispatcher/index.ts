// libs/dispatcher: Kamailio-style destination sets and selection.
//
//   const loaded = loadDispatcherSets(config.dispatcher, { origin: res.origin, localSockets: config.sip.listen });
//   const ds = new DispatcherState(loaded.sets, { logger });
//   ds.on('state', (e) => { if (e.reason !== 'cluster') bus.publish(...) });
//   const candidates = ds.select(setId, config.dispatcher.algorithm, { callId, fromUri, toUri, ruri });
//   // candidates[0] now, candidates[1..] on failover (ds_next_dst)
//
// Cluster rule 1: hash algorithms (0-3, 5, 7) and 8/12 give the same answer
// on every node for the same request; 4, 6, 9, 11, 13 are pinned per request
// in Redis, 10 counts the Call-ID on its gateway (see README.md).
// Cluster-wide: destination states (cluster-sync.ts), one OPTIONS prober per
// destination (partition.ts, prober.ts), call load from call events (call-watch.ts).
export type {
  AlgorithmId,
  AlgorithmInfo,
  CallLoadProvider,
  ChangeReason,
  Destination,
  DestinationAttrs,
  DestinationSet,
  DestinationSource,
  DestinationState,
  DestinationStatus,
  DispatcherErrorCode,
  DispatcherEvent,
  SelectContext,
  SocketProto,
  SocketSpec,
  StateKind,
} from './types.ts';
export { ALGORITHMS, DS_FLAGS, DispatcherError, isAlgorithmId } from './types.ts';
/** dispatcher.list text -> entries, bad lines as ConfigErrors with file:line */
export { parseDispatcherList, type DestinationEntry, type ParsedList } from './list-file.ts';
/** attrs text / mapping -> typed attrs */
export { parseAttrs, parseSocket, type AttrsInput, type ParsedAttrs } from './attrs.ts';
/** entries -> checked sets; config section -> sets (list file + inline) */
export { buildDestinationSets, checkAlgorithm, loadDispatcherSets, type BuildOptions, type LoadSetsDeps, type LoadSetsResult, type LocalSocket } from './build.ts';
/** Kamailio ds_get_hash and URI hash keys */
export { dsHash } from './hash.ts';
export { hashUri, uriHashKeys } from './uri-hash.ts';
/** selection (ds_select_dst + failover order) */
export { selectDestinations, selectDestinationsAsync, type AsyncSelectOptions } from './select.ts';
export { LiveSet } from './live-set.ts';
/** live state holder with change events */
export { DispatcherState, type DispatcherStateOptions, type ListedDestination, type ListedSet, type ReloadSummary } from './state.ts';
/** state transitions and Kamailio state codes */
export { afterOutcome, initialStatus, isSelectable, parseStateCode, stateCode, stateOfKind, type Thresholds } from './state-machine.ts';
export { seededRng, type Rng } from './rng.ts';
/** dispatcher.list / dispatcher.set_state / dispatcher.reload */
export { dispatcherAdminCommands, type DispatcherAdminDeps } from './admin.ts';
/** the pipeline step (ds_select_dst) and its rejection */
export { dispatchStep, failoverPolicyOf, selectContextOf, DispatchedHop, DISPATCHER_REJECTIONS, type DispatchStepOptions } from './step.ts';
export { dispatcherFeature, DISPATCHER_CONFIG_KIND, type DispatcherHandle } from './feature.ts';
/** cluster machinery: shared states, probing, call-event watching, metrics */
export { DestinationSync, DS_STATE_TABLE } from './cluster-sync.ts';
export { ProbePartition, ownerOf, PROBE_LEASE_GROUP } from './partition.ts';
export { Prober, probeName, type ProbeAnswer, type SendProbe } from './prober.ts';
export { probeSender, destinationTarget } from './probe-sender.ts';
export { startDispatcherCluster, leaseTiming, probeRules, type ProbingConfig, type DispatcherCluster } from './runtime.ts';
export { watchCalls } from './call-watch.ts';
export { createDispatcherMetrics, DISPATCHER_METRIC_NAMES } from './metrics.ts';
export { LatencyStats, congestionWeights, type LatencySnapshot } from './latency.ts';
export { parseReplyCodes, type ReplyCodeCheck } from './reply-codes.ts';
export { shouldProbe, afterProbe, type ProbingMode } from './probing.ts';
/** its config sections (`dispatcher`, `routing`), part of the feature's descriptor */
export { dispatcherSection, routingSection, DISPATCHER_ALGORITHMS, type DispatcherConfig, type RoutingConfig } from './config.ts';
