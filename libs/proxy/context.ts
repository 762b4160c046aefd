// What every pipeline step sees: the request, where it came from, the server
// transaction once created, and the next-hop candidates routing steps fill in.
import type { Logger } from 'pino';
import type { StepVerdict } from '#libs/pipeline';
import type { SipMessage } from '#libs/sip';
import type { ServerTransaction, Target } from '#libs/transaction';
import type { ListenSocketInfo, RemoteInfo, SocketId } from '#libs/transport';

/** When a routing step lets the relay try its next hop (Kamailio failure_route with ds_next_dst). */
export interface FailoverPolicy {
  /** final statuses that move on to the next hop (Kamailio failure_route: 500, 503, 408) */
  readonly codes: ReadonlySet<number>;
  /** a branch that never answered at all (local 408 before any provisional) fails over */
  readonly onTimeout: boolean;
  /** ms without any response before a branch counts as silent (fr_timer for failover) */
  readonly branchTimeoutMs: number;
  /** with onTimeout: a branch that timed out after a provisional (a phone that rang, unanswered) fails over too */
  readonly afterRinging?: boolean;
  /** the answer when no hop is left (registrar: 480 Temporarily Unavailable); default 503 All Destinations Failed */
  readonly exhausted?: { readonly status: number; readonly reason: string };
}

/** One next-hop candidate. Routing steps push them in failover order. */
export interface Hop {
  target: Target;
  /** force the outbound socket (dispatcher `socket=` attribute) */
  socket?: SocketId;
  /** destination URI for logs and metrics (e.g. the dispatcher entry) */
  label?: string;
  /** what the step that chose the hop wants back in the call events of its branch (e.g. the dispatcher destination) */
  data?: unknown;
  /** the Request-URI of this branch (registrar lookup: the registered contact); absent = the request's */
  uri?: string;
  /** Route values put on top of this branch's Route set (a contact's stored Path) */
  routes?: readonly string[];
}

export interface RequestContext {
  readonly msg: SipMessage;
  readonly source: RemoteInfo;
  readonly local: ListenSocketInfo;
  /** the server transaction, set by the `transaction` step (absent for a 2xx ACK) */
  tx?: ServerTransaction;
  /** in-dialog: the To header carries a tag */
  readonly inDialog: boolean;
  /** add Record-Route when relaying (dialog-creating requests) */
  recordRoute: boolean;
  /** next-hop candidates in failover order (loose-route: one; dispatcher: the set's order) */
  hops: Hop[];
  /** set by the routing step that chose several hops: when to try the next one (undefined: no failover) */
  failover?: FailoverPolicy;
  /** send to every hop at once and keep the best answer (parallel forking: dispatcher algorithm 12) */
  parallel?: boolean;
  /** what topology hiding learnt on the way in, for the way out (its own shape; the core never reads it) */
  hidden?: unknown;
  /**
   * Round trips a step started and did not wait for; the `settle` step waits
   * for them all before the relay (the first verdict that is not 'next'
   * wins). Steps started in the same turn share one Redis write (the pin of a
   * dispatched INVITE and the topos dialog record). A step that adds one may
   * change the request's hops when it resolves: steps between it and the
   * relay must not read them.
   */
  pending?: Promise<StepVerdict>[];
  /** in-dialog: the dialog's original From tag, read by loose-route from the `ftag` of the Route naming this node */
  ftag?: string;
  /** URI parameters (";name=value...") a step adds to the Record-Route the relay inserts (rr_sign's signature) */
  rrParam?: string;
  /** a child logger carrying the Call-ID, made on first use (most requests never log) */
  readonly log: Logger;
}

/** The request's source as a transaction Target, naming the socket it arrived on (its responses leave from there). */
export function sourceTarget(ctx: Pick<RequestContext, 'source' | 'local'>): Target {
  return { proto: ctx.source.proto, host: ctx.source.address, port: ctx.source.port, socket: ctx.local.id };
}

/** The context object; a class so the lazy logger costs no closure per request. */
class Context implements RequestContext {
  readonly inDialog: boolean;
  tx?: ServerTransaction;
  recordRoute = false;
  hops: Hop[] = [];
  failover?: FailoverPolicy;
  parallel = false;
  hidden?: unknown;
  pending?: Promise<StepVerdict>[];
  ftag?: string;
  rrParam?: string;
  private childLog: Logger | undefined;

  constructor(readonly msg: SipMessage, readonly source: RemoteInfo, readonly local: ListenSocketInfo, private readonly baseLog: Logger) {
    this.inDialog = msg.toTag() !== undefined;
  }

  get log(): Logger {
    this.childLog ??= this.baseLog.child({ callId: this.msg.callId(), method: this.msg.method });
    return this.childLog;
  }
}

export function createContext(msg: SipMessage, source: RemoteInfo, local: ListenSocketInfo, baseLog: Logger): RequestContext {
  return new Context(msg, source, local, baseLog);
}
