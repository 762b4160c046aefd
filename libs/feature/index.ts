// libs/feature: the one shape of a feature (FeatureDescriptor) and the
// composer services/sbc uses (startFeatures). See docs/architecture.md,
// "Feature seam".
//   defineFeature({ name, doc, sections, rejections, metrics, start(ctx) => runtime })
//   runtime: { steps: [{ place, step }], gates, admin, rejections, topology, scrubRelayed, provides, stop }
//   ctx: config, state, bus, registry, logger, clusterConfig, calls (call events), transport, use(feature)
export {
  defineFeature,
  STEP_PLACES,
  type AnyFeature,
  type FeatureContext,
  type FeatureDescriptor,
  type FeatureRuntime,
  type PlacedStep,
  type StepPlace,
} from './descriptor.ts';
export { featureRejections, featureSections, startFeatures, type ComposedFeatures, type FeatureBase } from './compose.ts';
/** the call event stream features subscribe to (emitted by libs/proxy) */
export type { CallEvent, CallEventType, CallEventListener, BranchInfo } from '#libs/proxy';
