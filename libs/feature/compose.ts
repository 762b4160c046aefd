// Composing a list of feature descriptors into what the node runs: their
// config sections (for loadConfig), their rejections (for the catalog), and,
// once started in list order, their steps by place, gates, admin commands,
// topology hook and relayed-response scrubbers.
import type { AdminCommand } from '#libs/admin';
import type { AnySection } from '#libs/config';
import type { Step } from '#libs/pipeline';
import type { RequestContext, SourceGate, TopologyHiding } from '#libs/proxy';
import type { Rejection } from '#libs/rejections';
import type { SipMessage } from '#libs/sip';
import type { AnyFeature, FeatureContext, FeatureDescriptor, FeatureRuntime, StepPlace } from './descriptor.ts';

const NAME_RE = /^[a-z][a-z0-9_-]*$/;

/** Throws on a bad or repeated feature name (a wiring mistake). */
function checkNames(features: readonly AnyFeature[]): void {
  const seen = new Set<string>();
  for (const f of features) {
    if (!NAME_RE.test(f.name)) throw new Error(`feature name "${f.name}" must match ${NAME_RE}`);
    if (seen.has(f.name)) throw new Error(`feature "${f.name}" is listed twice`);
    seen.add(f.name);
  }
}

/** The config sections of the features, in list order; a section two features share appears once. */
export function featureSections(features: readonly AnyFeature[]): AnySection[] {
  const out: AnySection[] = [];
  for (const f of features) for (const s of f.sections ?? []) if (!out.includes(s)) out.push(s);
  return out;
}

/** The static rejection definitions of the features. */
export function featureRejections(features: readonly AnyFeature[]): Rejection[] {
  return features.flatMap((f) => [...(f.rejections ?? [])]);
}

/** The started features, merged. */
export interface ComposedFeatures {
  /** steps for each place, in feature-list order */
  readonly steps: Readonly<Record<StepPlace, readonly Step<RequestContext>[]>>;
  readonly gates: readonly SourceGate[];
  readonly admin: readonly AdminCommand[];
  /** the descriptors' rejections and the ones the runtimes added */
  readonly rejections: readonly Rejection[];
  readonly topology: TopologyHiding | undefined;
  /** every feature's scrubber in list order, or undefined when none has one */
  readonly scrubRelayed: ((msg: SipMessage) => void) | undefined;
  /** what a feature provides (ctx.use for code outside the features, e.g. the node's own handle) */
  provided<P>(feature: FeatureDescriptor<never, P>): P | undefined;
  /** Stops every feature, in reverse start order; errors are reported, not thrown. */
  stop(onError: (err: unknown, feature: string) => void): Promise<void>;
}

/** What the node gives every feature (ctx minus the per-feature parts). */
export type FeatureBase = Omit<FeatureContext<unknown>, 'use' | 'logger' | 'config'> & {
  readonly config: unknown;
  readonly logger: FeatureContext['logger'];
};

/**
 * Starts the features in list order. When one fails to start, the ones
 * already started are stopped and the error is thrown on, naming the feature.
 */
export async function startFeatures(features: readonly AnyFeature[], base: FeatureBase): Promise<ComposedFeatures> {
  checkNames(features);
  const started: { feature: AnyFeature; runtime: FeatureRuntime<unknown> }[] = [];
  const provides = new Map<AnyFeature, unknown>();
  const stop = async (onError: (err: unknown, feature: string) => void) => {
    for (const { feature, runtime } of [...started].reverse()) {
      try { await runtime.stop?.(); } catch (err) { onError(err, feature.name); }
    }
    started.length = 0;
  };
  for (const feature of features) {
    const ctx: FeatureContext<unknown> = {
      ...base,
      logger: base.logger.child({ feature: feature.name }),
      use<P>(dep: FeatureDescriptor<never, P>): P {
        if (!provides.has(dep)) throw new Error(`feature "${feature.name}" uses "${dep.name}", which is not started before it: list "${dep.name}" earlier`);
        return provides.get(dep) as P;
      },
    };
    let runtime: FeatureRuntime<unknown>;
    try {
      runtime = await feature.start(ctx);
    } catch (err) {
      await stop((e, name) => base.logger.warn({ err: e, feature: name }, 'error while stopping a feature'));
      throw err instanceof Error ? Object.assign(err, { message: `feature ${feature.name}: ${err.message}` }) : err;
    }
    started.push({ feature, runtime });
    provides.set(feature, runtime.provides);
  }
  return compose(started.map((s) => s.runtime), features, provides, stop);
}

function compose(
  runtimes: readonly FeatureRuntime<unknown>[],
  features: readonly AnyFeature[],
  provides: Map<AnyFeature, unknown>,
  stop: ComposedFeatures['stop'],
): ComposedFeatures {
  const steps: Record<StepPlace, Step<RequestContext>[]> = { screening: [], routing: [], final: [] };
  for (const r of runtimes) for (const s of r.steps ?? []) steps[s.place].push(s.step);
  const topologies = runtimes.filter((r) => r.topology !== undefined);
  if (topologies.length > 1) throw new Error('more than one feature provides topology hiding');
  const scrubbers = runtimes.flatMap((r) => (r.scrubRelayed !== undefined ? [r.scrubRelayed] : []));
  return {
    steps,
    gates: runtimes.flatMap((r) => [...(r.gates ?? [])]),
    admin: runtimes.flatMap((r) => [...(r.admin ?? [])]),
    rejections: [...featureRejections(features), ...runtimes.flatMap((r) => [...(r.rejections ?? [])])],
    topology: topologies[0]?.topology,
    scrubRelayed: scrubbers.length === 0 ? undefined : scrubbers.length === 1 ? scrubbers[0] : (msg) => { for (const s of scrubbers) s(msg); },
    provided: <P>(f: FeatureDescriptor<never, P>) => provides.get(f) as P | undefined,
    stop,
  };
}
