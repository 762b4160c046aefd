// `dispatch` (Kamailio ds_select_dst): out-of-dialog requests not routed by
// a Route header get the destination set's candidates as next hops, in
// failover order (ds_next_dst). The relay tries them one after another.
import type { Step, StepVerdict } from '#libs/pipeline';
import { hopForUri, type FailoverPolicy, type Hop, type RequestContext } from '#libs/proxy';
import { defineRejections } from '#libs/rejections';
import type { SipMessage } from '#libs/sip';
import { socketId } from '#libs/transport';
import type { DispatcherConfig } from './config.ts';
import type { DispatcherState } from './state.ts';
import type { AlgorithmId, CallLoadProvider, CallLoadStarter, Destination, SelectContext } from './types.ts';

export const DISPATCHER_REJECTIONS = defineRejections({
  noDestination: {
    code: 'dispatcher.no_destination',
    status: 404,
    reason: 'No Destination',
    label: 'no_destination',
    log: 'dispatcher set has no usable destination',
    doc: 'The destination set is unknown, empty, or every destination is inactive or disabled (Kamailio: ds_select_dst() returned false). See the dispatcher.list admin command.',
    level: 'warn',
  },
  backendDown: {
    code: 'dispatcher.backend_down',
    status: 503,
    reason: 'Service Unavailable',
    label: 'backend_down',
    log: 'call refused: call-load counters unreadable and state.fail_mode.dispatcher is closed',
    doc: 'Algorithm 10 reads the cluster-wide call load from Redis; with state.fail_mode.dispatcher = closed a call is refused while Redis is unreachable. Set it to open to choose as if every gateway were idle.',
    level: 'warn',
  },
});

export interface DispatchStepOptions {
  state: DispatcherState;
  setId: number;
  algorithm: AlgorithmId;
  /** cluster-wide active calls per duid; algorithm 10 needs this or startCall */
  loadsOf?: CallLoadProvider;
  /** algorithm 10: counts the call on the least loaded destination in the same round trip */
  startCall?: CallLoadStarter;

  /**
   * Cluster rule 1 for the algorithms whose choice is per node (4, 6, 9, 11,
   * 13): takes `uri` for the request `key` (Call-ID + incoming branch) unless
   * another node took one already, and resolves to the URI that holds it; one
   * round trip. Absent (single node): no pin.
   */
  pin?: (key: string, uri: string) => Promise<string>;
  /** when loadsOf fails (Redis down): 'open' selects as if every destination were idle, 'closed' refuses (503) */
  failMode?: 'open' | 'closed';
  /** when the relay moves on to the next destination (failoverPolicyOf(config.dispatcher)); absent: only the first is tried */
  failover?: FailoverPolicy;
}

/**
 * The failover policy of the dispatcher config: failover_codes (statuses,
 * and "timeout" for a branch that never answered) and failover_timeout.
 */
export function failoverPolicyOf(ds: Pick<DispatcherConfig, 'failover_codes' | 'failover_timeout'>): FailoverPolicy {
  const codes = new Set<number>();
  let onTimeout = false;
  for (const c of ds.failover_codes) {
    if (c === 'timeout') onTimeout = true;
    else codes.add(c);
  }
  return { codes, onTimeout, branchTimeoutMs: ds.failover_timeout };
}

const AUTH_USER_RE = /username\s*=\s*"([^"]*)"/i;

function authUser(msg: SipMessage): string | undefined {
  const cred = msg.header('proxy-authorization') ?? msg.header('authorization');
  return cred === undefined ? undefined : AUTH_USER_RE.exec(cred)?.[1];
}

export function selectContextOf(msg: SipMessage): SelectContext {
  return {
    callId: msg.callId() ?? '',
    fromUri: msg.from()?.uriText ?? '',
    toUri: msg.to()?.uriText ?? '',
    ruri: msg.uri,
    authUser: authUser(msg),
  };
}

/**
 * The same values as selectContextOf, each read from the message on first
 * use: round robin, priority, weights and call load read none of them, and
 * authUser alone costs two header lookups and a regex per request. Only for
 * selection done before the message changes (the step's own select calls).
 */
class LazySelectContext implements SelectContext {
  #callId: string | undefined;
  #fromUri: string | undefined;
  #toUri: string | undefined;
  #authUser: string | undefined;
  #authUserRead = false;

  constructor(private readonly msg: SipMessage) {}

  get callId(): string {
    return (this.#callId ??= this.msg.callId() ?? '');
  }

  get fromUri(): string {
    return (this.#fromUri ??= this.msg.from()?.uriText ?? '');
  }

  get toUri(): string {
    return (this.#toUri ??= this.msg.to()?.uriText ?? '');
  }

  get ruri(): string {
    return this.msg.uri;
  }

  get authUser(): string | undefined {
    if (!this.#authUserRead) {
      this.#authUser = authUser(this.msg);
      this.#authUserRead = true;
    }
    return this.#authUser;
  }
}

/** What a dispatched hop carries back in its branch's call events (Hop.data): the set and destination it was chosen from. */
export class DispatchedHop {
  constructor(readonly setId: number, readonly dest: Destination) {}
}

function hopOf(setId: number, d: Destination): Hop | undefined {
  const hop = hopForUri(d.parsed, d.uri);
  if (hop === undefined) return undefined;
  if (d.attrs.socket !== undefined) {
    const s = d.attrs.socket;
    hop.socket = socketId(s.proto === 'tcp' ? 'tcp' : 'udp', s.host, s.port ?? 5060);
  }
  hop.data = new DispatchedHop(setId, d);
  return hop;
}

function applyHops(ctx: RequestContext, dests: readonly Destination[], opts: DispatchStepOptions): StepVerdict {
  const hops: Hop[] = [];
  for (const d of dests) {
    const h = hopOf(opts.setId, d);
    if (h !== undefined) hops.push(h);
  }
  if (hops.length === 0) return { reject: 'dispatcher.no_destination' };
  ctx.hops = hops;
  if (opts.algorithm === 12) ctx.parallel = true; // every destination at once (Kamailio alg 12 + t_relay)
  else ctx.failover = opts.failover;
  return 'next';
}

export function dispatchStep(opts: DispatchStepOptions): Step<RequestContext> {
  return {
    name: 'dispatch',
    run(ctx) {
      // in-dialog and pre-routed requests already have their next hop
      if (ctx.hops.length > 0 || ctx.inDialog || ctx.tx === undefined) return 'next';
      if (opts.algorithm === 10) {
        // read now: the selection finishes after a round trip, when later steps may have changed the message
        const sel = selectContextOf(ctx.msg);
        const { loadsOf, startCall } = opts;
        if (loadsOf === undefined && startCall === undefined) return { reject: 'dispatcher.backend_down' };
        return opts.state.selectAsync(opts.setId, 10, sel, startCall ? { startCall } : { loadsOf }).then(
          (d) => applyHops(ctx, d, opts),
          () => {
            if (opts.failMode === 'closed') return { reject: 'dispatcher.backend_down' } as const;
            // fail open: every destination counts as idle, the set order decides
            return opts.state.selectAsync(opts.setId, 10, sel, { loadsOf: async () => new Map() }).then((d) => applyHops(ctx, d, opts));
          },
        );
      }
      const chosen = opts.state.select(opts.setId, opts.algorithm, new LazySelectContext(ctx.msg));
      const pin = opts.pin;
      if (pin === undefined || chosen.length === 0 || !PER_NODE.has(opts.algorithm)) return applyHops(ctx, chosen, opts);
      const key = `${ctx.msg.callId() ?? ''} ${ctx.msg.topVia()?.params.get('branch') ?? ''}`;
      const verdict = applyHops(ctx, chosen, opts);
      if (verdict !== 'next') return verdict;
      // not awaited here: the settle step waits for it before the relay, so later steps' round
      // trips (the topos dialog record) leave in the same write
      (ctx.pending ??= []).push(pin(key, chosen[0].uri).then(
        (held): StepVerdict => (held === chosen[0].uri ? 'next' : applyHops(ctx, pinnedFirst(opts, chosen, held), opts)),
        // Redis away: this node's own choice (a retransmission reaching another node may then go elsewhere)
        (): StepVerdict => 'next',
      ));
      return 'next';
    },
  };
}

/** Algorithms whose choice differs per node (cursors, randomness): pinned cluster-wide. */
const PER_NODE: ReadonlySet<AlgorithmId> = new Set<AlgorithmId>([4, 6, 9, 11, 13]);

/** The candidates with the pinned destination first (kept even if it changed state since: the retransmission must reach the same gateway). */
function pinnedFirst(opts: DispatchStepOptions, chosen: Destination[], held: string): Destination[] {
  if (held === chosen[0].uri) return chosen;
  const i = chosen.findIndex((d) => d.uri === held);
  if (i > 0) return [chosen[i], ...chosen.slice(0, i), ...chosen.slice(i + 1)];
  const set = opts.state.getSet(opts.setId);
  const j = set?.indexOf(held) ?? -1;
  return set && j >= 0 ? [set.destinations[j], ...chosen] : chosen;
}
