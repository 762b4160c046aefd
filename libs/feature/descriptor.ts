// The one shape every feature has. A feature lib (libs/<feature>) exports one
// FeatureDescriptor; services/sbc lists them and startFeatures() composes
// them into what the node runs. Adding a feature = its folder + one entry in
// that list: the node learns its config section, steps, admin commands,
// rejections and metrics from the descriptor alone.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AdminCommand } from '#libs/admin';
import type { Bus } from '#libs/bus';
import type { AnySection, Origin } from '#libs/config';
import type { Step } from '#libs/pipeline';
import type { CallEvents, RequestContext, SourceGate, TopologyHiding } from '#libs/proxy';
import type { Rejection } from '#libs/rejections';
import type { ClusterConfig } from '#libs/replica';
import type { SipMessage } from '#libs/sip';
import type { SharedState } from '#libs/state';
import type { ClientOptions, ClientTransaction, Target } from '#libs/transaction';
import type { ListenSocketInfo, SocketId } from '#libs/transport';

/**
 * Where a step runs in the request pipeline (docs/architecture.md "Request
 * path" has the whole order; test/e2e/feature-seam.test.ts checks it):
 *
 *   sanity -> [screening] -> transaction -> admission -> options-self ->
 *   [topology restore] -> loose-route -> record-route -> [routing] ->
 *   [final] -> [topology prepare] -> relay
 *
 * - screening: every request, before any transaction exists (pike, secfilter,
 *   permissions, auth). A refusal here is answered statelessly: a flood
 *   creates no state.
 * - routing: chooses next hops for requests loose-route left without one
 *   (ctx.hops empty; dispatcher). Refusals go through the server transaction.
 * - final: last touches on every request about to be relayed (header hygiene).
 *
 * Within a place, steps run in the order of the feature list.
 */
export type StepPlace = 'screening' | 'routing' | 'final';

export const STEP_PLACES: readonly StepPlace[] = ['screening', 'routing', 'final'];

export interface PlacedStep {
  readonly place: StepPlace;
  readonly step: Step<RequestContext>;
}

/** What a feature gets when it starts. */
export interface FeatureContext<Cfg = unknown> {
  /** the node's whole validated config (deep-frozen), typed as the feature declares it reads it */
  readonly config: Cfg;
  /** shared state (Redis or memory): the only way a feature reaches Redis */
  readonly state: SharedState;
  /** cluster news (NATS or memory) */
  readonly bus: Bus;
  /** the node's prom-client registry: metrics named sbc_<feature>_... */
  readonly registry: Registry;
  /** the node's logger, bound to { feature: name } */
  readonly logger: Logger;
  /** cluster-wide config documents (dispatcher sets, permissions tables...) */
  readonly clusterConfig: ClusterConfig;
  /** the call event stream (libs/proxy call-events.ts): subscribe with calls.on(listener) */
  readonly calls: Pick<CallEvents, 'on'>;
  /** the node's listen sockets (bound and advertised addresses) */
  readonly transport: { readonly sockets: readonly ListenSocketInfo[] };
  /** requests the node originates itself (dispatcher OPTIONS probes): a client transaction, and the socket a target is reached from */
  readonly sip: {
    sendRequest(req: SipMessage, target: Target, opts?: ClientOptions): ClientTransaction;
    selectSocket(target: Target, via?: SocketId): ListenSocketInfo | undefined;
  };
  /** directory of the config file, to anchor relative paths (list files, rule files) */
  readonly baseDir?: string;
  /** where a config value came from (file:line), for errors found after loading */
  readonly origin?: (path: string) => Origin | undefined;
  /**
   * What an earlier feature of the list provides (its runtime's `provides`).
   * Throws when that feature is not composed or comes later in the list.
   */
  use<P>(feature: FeatureDescriptor<never, P>): P;
}

/** What a started feature hands the node. Every part is optional. */
export interface FeatureRuntime<P = undefined> {
  /** pipeline steps and where each goes */
  readonly steps?: readonly PlacedStep[];
  /** checks on the source address alone, before parsing (bans) */
  readonly gates?: readonly SourceGate[];
  /** admin commands (dotted names under the feature's own prefix); each says whether it `mutates` state (then POST only, admin token, audit line: docs/admin.md) */
  readonly admin?: readonly AdminCommand[];
  /** rejections known only once started (e.g. built from config); static ones go on the descriptor */
  readonly rejections?: readonly Rejection[];
  /** topology hiding: at most one feature of a node provides it */
  readonly topology?: TopologyHiding;
  /** applied to every response relayed upstream (header hygiene) */
  readonly scrubRelayed?: (msg: SipMessage) => void;
  /** what later features reach through ctx.use(thisDescriptor) */
  readonly provides?: P;
  /** Called once when the node stops, in reverse start order. */
  stop?(): void | Promise<void>;
}

export interface FeatureDescriptor<Cfg = unknown, P = unknown> {
  /** lower-case name: logs ({feature}), errors, ctx.use */
  readonly name: string;
  /** one line: what the feature does */
  readonly doc: string;
  /** its config sections (schema, defaults, docs): each a top-level key of the YAML */
  readonly sections?: readonly AnySection[];
  /** its rejection codes (status, reason, metric label, docs) */
  readonly rejections?: readonly Rejection[];
  /** names of the metrics it registers, for the docs */
  readonly metrics?: readonly string[];
  start(ctx: FeatureContext<Cfg>): FeatureRuntime<P> | Promise<FeatureRuntime<P>>;
}

/** A descriptor of any config and any provided value (for lists). */
// biome-ignore lint: any is what lets a list hold descriptors of different configs
export type AnyFeature = FeatureDescriptor<any, any>;

/** Identity helper: infers Cfg and P, so a descriptor is checked where it is written. */
export function defineFeature<Cfg, P = undefined>(d: FeatureDescriptor<Cfg, P>): FeatureDescriptor<Cfg, P> {
  return d;
}
