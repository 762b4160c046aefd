// The node's config sections: the core ones plus each feature's own (taken
// from the feature descriptors, so a feature's section comes with it).
import { adminSection } from '#libs/admin';
import type { dispatcherSection, routingSection } from '#libs/dispatcher';
import { nodeSections, type AnySection, type DeepReadonly, type ConfigOf } from '#libs/config';
import { featureSections, type AnyFeature } from '#libs/feature';
import { SBC_FEATURES } from './features.ts';

type SectionsOf<F extends readonly AnyFeature[]> = NonNullable<F[number]['sections']>;

/** The sections loadConfig reads for a node running `features` (default: SBC_FEATURES). */
export function sectionsFor(features: readonly AnyFeature[]): AnySection[] {
  const core: AnySection[] = [...nodeSections, adminSection];
  return [...core, ...featureSections(features).filter((s) => !core.includes(s))];
}

// (the type names the sections code outside their feature reads, e.g. tests and the chart's config check; the list itself comes from the descriptors)
export const sbcSections = sectionsFor(SBC_FEATURES) as unknown as readonly [...typeof nodeSections, typeof adminSection, typeof dispatcherSection, typeof routingSection, ...SectionsOf<typeof SBC_FEATURES>];
export type SbcConfig = DeepReadonly<ConfigOf<typeof sbcSections>>;
