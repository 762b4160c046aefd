// Public shapes of libs/dispatcher.
import type { Origin } from '#libs/config';
import type { SipUri } from '#libs/sip';

/** Kamailio algorithm numbers this lib implements (64 overload is not). */
export type AlgorithmId = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13;

export interface AlgorithmInfo {
  readonly name: string;
  /** true: every node picks the same destination for the same request (cluster rule 1) */
  readonly clusterStable: boolean;
}

export const ALGORITHMS: Readonly<Record<AlgorithmId, AlgorithmInfo>> = Object.freeze({
  0: { name: 'hash over Call-ID', clusterStable: true },
  1: { name: 'hash over From URI', clusterStable: true },
  2: { name: 'hash over To URI', clusterStable: true },
  3: { name: 'hash over R-URI', clusterStable: true },
  4: { name: 'round robin', clusterStable: false },
  5: { name: 'hash over auth username (From URI when none)', clusterStable: true },
  6: { name: 'random', clusterStable: false },
  7: { name: 'hash over a routing-provided key', clusterStable: true },
  8: { name: 'priority order', clusterStable: true },
  9: { name: 'weight', clusterStable: false },
  10: { name: 'call load', clusterStable: false },
  11: { name: 'relative weight among active', clusterStable: false },
  12: { name: 'parallel forking to all', clusterStable: true },
  13: { name: 'latency optimised (priority lowered by probe latency)', clusterStable: false },
});

export function isAlgorithmId(n: number): n is AlgorithmId {
  return Number.isInteger(n) && n >= 0 && n <= 13;
}

/** Kamailio dispatcher.list flag bits. */
export const DS_FLAGS = Object.freeze({
  INACTIVE: 1,
  TRYING: 2,
  DISABLED: 4,
  PROBING: 8,
  /** Kamailio: do not resolve the host at load; accepted and ignored (we never resolve at load) */
  NODNS: 16,
});

export type SocketProto = 'udp' | 'tcp' | 'tls' | 'sctp' | 'ws' | 'wss';

export interface SocketSpec {
  readonly proto: SocketProto;
  /** IPv6 without brackets */
  readonly host: string;
  readonly port?: number;
}

export interface DestinationAttrs {
  /** unique id, required by algorithm 10 (call load is counted per duid) */
  readonly duid?: string;
  /** 1..100: percent of calls (algorithm 9) */
  readonly weight?: number;
  /** 1..100: relative weight among active destinations (algorithm 11) */
  readonly rweight?: number;
  /** most active calls (algorithm 10); 0 = no limit */
  readonly maxload?: number;
  /** local socket to send from */
  readonly socket?: SocketSpec;
  /** From URI of OPTIONS probes to this destination */
  readonly pingFrom?: string;
  /** congestion control (Kamailio cc=1) */
  readonly cc?: number;
  /** attributes this lib does not interpret, kept as written (names lower-cased) */
  readonly extra: Readonly<Record<string, string>>;
  /** the attributes as "name=value;..." text */
  readonly text: string;
}

/** Where a destination was defined: a list-file line, or a config key path. */
export interface DestinationSource extends Origin {
  /** config key path, e.g. "dispatcher.sets[2]", for inline destinations */
  readonly path?: string;
}

export interface Destination {
  readonly setId: number;
  /** the URI as written */
  readonly uri: string;
  readonly parsed: SipUri;
  /** flags as configured (the initial state); the live state is in DispatcherState */
  readonly flags: number;
  /** higher first */
  readonly priority: number;
  readonly attrs: DestinationAttrs;
  readonly source: DestinationSource;
}

export interface DestinationSet {
  readonly id: number;
  /** ordered by priority (highest first), then by definition order */
  readonly destinations: readonly Destination[];
}

/**
 * Live state of a destination (Kamailio letters in brackets).
 * Only active and probing destinations are selected.
 */
export type DestinationState =
  /** [A] in service */
  | { readonly kind: 'active' }
  /** [T] "trying": failed lately, still selected; at `failures` >= ds_probing_threshold it becomes inactive */
  | { readonly kind: 'probing'; readonly failures: number }
  /** [I] out of service until `successes` reach ds_inactive_threshold */
  | { readonly kind: 'inactive'; readonly successes: number }
  /** [D] switched off by the operator: never selected, never probed */
  | { readonly kind: 'disabled' };

export type StateKind = DestinationState['kind'];

export interface DestinationStatus {
  readonly state: DestinationState;
  /** [P] OPTIONS probes are sent to it (flag 8) */
  readonly probe: boolean;
  /** when the state kind last changed (ms, injected clock) */
  readonly since: number;
}

/** Why a state changed; a listener publishing to NATS skips 'cluster' (the change came from NATS). */
export type ChangeReason = 'admin' | 'probe' | 'failover' | 'cluster' | 'reload';

export type DispatcherEvent =
  | {
      readonly type: 'state';
      readonly setId: number;
      readonly uri: string;
      readonly from: DestinationStatus;
      readonly to: DestinationStatus;
      readonly reason: ChangeReason;
    }
  /** new probe latency figures for a destination (ds_ping_latency_stats) */
  | { readonly type: 'latency'; readonly setId: number; readonly uri: string; readonly reason: ChangeReason }
  | { readonly type: 'reload'; readonly sets: number; readonly added: number; readonly removed: number; readonly kept: number };

/** What the proxy knows about the request; this lib never sees the SIP message. */
export interface SelectContext {
  readonly callId: string;
  /** From URI (without display name / tag) */
  readonly fromUri: string;
  readonly toUri: string;
  /** Request-URI */
  readonly ruri: string;
  /** username of Proxy-Authorization / Authorization credentials, if any (algorithm 5) */
  readonly authUser?: string;
  /** the routing-provided hash key (algorithm 7, Kamailio hash_pvar) */
  readonly hashKey?: string;
}

/** Active calls per duid, cluster-wide (libs/state CallLoadStore.counts fits). One round trip for all. */
export type CallLoadProvider = (duids: readonly string[]) => Promise<ReadonlyMap<string, number>>;

/**
 * Counts a new call on the least loaded of `duids` (each limited by its
 * maxload, 0 = none) and returns it with every duid's count, in one round
 * trip (libs/state CallLoadStore.startLeastLoaded fits); null when all are full.
 * A Call-ID already counted (a retransmission reaching another node) keeps its duid.
 */
export type CallLoadStarter = (duids: readonly string[], callId: string, maxLoads: readonly number[]) => Promise<{ readonly duid: string; readonly counts: readonly number[] } | null>;

export type DispatcherErrorCode = 'needs_call_load' | 'missing_hash_key' | 'unknown_set' | 'unknown_destination';

export class DispatcherError extends Error {
  constructor(
    readonly code: DispatcherErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DispatcherError';
  }
}
