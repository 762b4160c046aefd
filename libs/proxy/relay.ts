// Stateful relay (Kamailio t_relay + failure_route with ds_next_dst): one
// client transaction per attempt, tried in the order of ctx.hops; provisional
// and 2xx responses go upstream as they come; a failover-able failure moves
// on to the next hop; a CANCEL from upstream cancels the running branch.
import { forwardedMaxForwards, type SanityConfig } from '#libs/sanity';
import type { RateLimitedLog } from '#libs/rejections';
import type { SipMessage } from '#libs/sip';
import { withSocket, type ClientFinalEvent, type ClientTransaction, type InviteServerTransaction, type ServerTransaction, type TransactionLayer } from '#libs/transaction';
import type { ListenSocketInfo } from '#libs/transport';
import { stamped, type BranchInfo, type CallEventBase, type CallEventBody, type CallEvents } from './call-events.ts';
import type { FailoverPolicy, Hop, RequestContext } from './context.ts';
import { recordRouteValue, relayBranch, viaValue } from './hops.ts';
import type { ProxyMetrics } from './metrics.ts';
import type { TopologyHiding } from './topology.ts';


export type MaxForwardsPolicy = Pick<SanityConfig, 'maxForwardsDefault' | 'maxForwardsLimit'>;

export interface RelayDeps {
  tm: TransactionLayer;
  maxForwards: MaxForwardsPolicy;
  selectSocket(hop: Hop): ListenSocketInfo | undefined;
  metrics: ProxyMetrics;
  /** local reply through the server transaction */
  reply(ctx: RequestContext, status: number, reason: string): void;
  /** applied to each response relayed upstream (header hygiene) */
  scrub?: (response: SipMessage) => void;
  /**
   * sends a response upstream by its top Via, statelessly: a 2xx whose server
   * transaction has ended (its linger was over or reclaimed at the limit)
   * still goes up, as a stray 2xx does (§16.7 step 5)
   */
  sendUpstream(response: SipMessage): void;
  /** topology hiding: hides each branch request and each response relayed upstream */
  topology?: TopologyHiding;
  /** the call event stream (branch.*, request.*, dialog.ended) */
  events?: CallEvents;
  /** the per-request failure lines (no socket, failover, topology store failed): rate-limited per kind */
  log: RateLimitedLog;
}

/** What a relay remembers to stamp its events (taken once, when someone listens). */
export interface EventStamp {
  readonly callId: string;
  readonly method: string;
  readonly fromTag: string | undefined;
  readonly toTag: string | undefined;
}

/** Prepare a copy of the request for one hop: Max-Forwards, Record-Route, our Via. */
export function branchRequest(ctx: RequestContext, hop: Hop, inbound: ListenSocketInfo, out: ListenSocketInfo, attempt: number, maxFwd: MaxForwardsPolicy): SipMessage {
  const req = ctx.msg.clone();
  if (hop.uri !== undefined) req.setUri(hop.uri);
  if (hop.routes !== undefined) for (let i = hop.routes.length - 1; i >= 0; i--) req.prependHeader('Route', hop.routes[i]);
  req.setHeader('Max-Forwards', String(forwardedMaxForwards(req.maxForwards(), maxFwd)));
  if (ctx.recordRoute) {
    const ftag = ctx.msg.fromTag();
    // Double Record-Route when the request leaves by another socket (protocol
    // or address), so each side gets an address it can reach (Kamailio enable_double_rr).
    if (out.id !== inbound.id) {
      req.prependHeader('Record-Route', recordRouteValue(inbound, true, ftag, ctx.rrParam));
      req.prependHeader('Record-Route', recordRouteValue(out, true, ftag, ctx.rrParam));
    } else {
      req.prependHeader('Record-Route', recordRouteValue(out, false, ftag, ctx.rrParam));
    }
  }
  req.prependHeader('Via', viaValue(out, relayBranch(ctx.msg.topVia(), attempt)));
  return req;
}

const ALL_FAILED = { status: 503, reason: 'Service Unavailable - All Destinations Failed' } as const;

export class Relay {
  private attempt = -1;
  private client: ClientTransaction | undefined;
  protected cancelled = false;
  protected finished = false;
  /** performance.now() when the current branch went out (a double: no BigInt per request) */
  private sentAt = 0;
  /** responses wait here while topology hiding stores something, so they leave in the order they came */
  private upstream: Promise<void> | undefined;
  /** the server transaction responses go up through (the context's, kept apart: see `ctx`) */
  private readonly tx: ServerTransaction | undefined;
  protected readonly method: string;
  /** set when the event stream has listeners at the start: no event is built otherwise */
  protected readonly stamp: EventStamp | undefined;
  private branch: BranchInfo | undefined;
  /**
   * The request context, until the relay has its final outcome. Client and
   * server transactions linger seconds after it (Timers K/M/L) and their
   * listeners hold this Relay; from then on only 2xx retransmissions and forks
   * pass, which need the server transaction alone, so the context (and the
   * parsed request in it) is let go to die young instead of being promoted
   * to the old generation on every call. Topology hiding rewrites each
   * response from the request: its responseHider (topoh and topos offer
   * one) copies what that needs and the context goes all the same; a
   * TopologyHiding without one keeps it.
   */
  private ctx: RequestContext | undefined;
  /** topology hiding's responseHider, taken at finish() */
  private hideResponse: ((res: SipMessage) => void | Promise<void>) | undefined;

  constructor(protected readonly deps: RelayDeps, ctx: RequestContext) {
    this.ctx = ctx;
    this.tx = ctx.tx;
    this.method = ctx.msg.method;
    const msg = ctx.msg;
    this.stamp = deps.events?.active === true ? { callId: msg.callId() ?? '', method: msg.method, fromTag: msg.fromTag(), toTag: msg.toTag() } : undefined;
  }

  protected base(): CallEventBase {
    const s = this.stamp as EventStamp;
    return { callId: s.callId, method: s.method, fromTag: s.fromTag, toTag: s.toTag, at: Date.now() };
  }

  /** emits an event stamped with this relay's fields (call only when `stamp` is set) */
  protected emit(body: CallEventBody): void {
    this.deps.events?.emit(stamped(this.base(), body));
  }

  start(): void {
    if (this.stamp !== undefined) {
      const ctx = this.running;
      const src = ctx.source;
      this.emit({ type: 'request.accepted', inDialog: ctx.inDialog, source: { proto: src.proto, address: src.address, port: src.port }, local: ctx.local.id, hops: ctx.hops.length });
      if (this.method === 'BYE') this.emit({ type: 'dialog.ended', by: byeSide(ctx) });
    }
    const tx = this.tx;
    if (tx !== undefined && tx.kind === 'invite-server') {
      (tx as InviteServerTransaction).on('cancel', () => this.onCancel());
    }
    this.next();
  }

  /** the context while the relay runs (every caller runs before finish) */
  protected get running(): RequestContext {
    return this.ctx as RequestContext;
  }

  protected next(): void {
    const { deps } = this;
    const ctx = this.running;
    for (;;) {
      this.attempt++;
      const hop = ctx.hops[this.attempt];
      if (hop === undefined) {
        // every candidate failed over: nothing left to try
        this.allFailed(ctx);
        return;
      }
      const out = deps.selectSocket(hop);
      if (out === undefined) {
        deps.log.write('warn', 'relay_no_socket', { callId: ctx.msg.callId(), hop: hop.label ?? hop.target }, 'relay: no socket can reach the next hop');
        if (this.stamp !== undefined) {
          const branch: BranchInfo = { attempt: this.attempt, hop, target: hop.target, socket: hop.socket ?? '', transport: hop.target.proto };
          this.emit({ type: 'branch.failed', branch, cause: 'transport-error' });
        }
        if (this.attempt + 1 < ctx.hops.length && ctx.failover !== undefined) {
          this.rerouted();
          continue;
        }
        this.finish();
        this.completed(503, true);
        deps.reply(ctx, 503, 'Service Unavailable - No Route To Destination');
        return;
      }
      const req = branchRequest(ctx, hop, ctx.local, out, this.attempt, deps.maxForwards);
      deps.topology?.hideRequest(ctx, req, out);
      // a socket the routing step chose reaches the send (and the CANCEL / ACK of the branch); else the transport picks `out` again
      const target = hop.socket === undefined ? hop.target : withSocket(hop.target, out.id);
      const client = deps.tm.sendRequest(req, target, { frTimer: ctx.failover?.branchTimeoutMs });
      // the request waits now, maybe for seconds, and is read again only on failover or a local answer
      ctx.msg.compact();
      this.client = client;
      this.sentAt = performance.now();
      if (this.stamp !== undefined) {
        const branch: BranchInfo = { attempt: this.attempt, hop, target: hop.target, socket: out.id, transport: out.proto };
        this.branch = branch;
        this.emit({ type: 'branch.sent', branch });
      }
      // (the listeners must not capture ctx: they outlive it, see `ctx`)
      let firstResponse = true;
      let firstProvisional = true;
      client.on('provisional', ({ response }) => {
        if (firstResponse) { firstResponse = false; deps.metrics.relayLatency(this.method, this.sentAt); }
        if (response.status !== 100) {
          if (this.stamp !== undefined) {
            this.emit({ type: 'branch.provisional', branch: this.branch as BranchInfo, status: response.status, first: firstProvisional });
            firstProvisional = false;
          }
          this.forward(response);
        }
      });
      client.on('final', (ev) => {
        if (firstResponse && !ev.local) { firstResponse = false; deps.metrics.relayLatency(this.method, this.sentAt); }
        this.onFinal(hop, ev);
      });
      return;
    }
  }

  private onFinal(hop: Hop, ev: ClientFinalEvent): void {
    const status = ev.response.status;
    if (status >= 200 && status < 300) {
      if (ev.first && this.stamp !== undefined) {
        this.emit({ type: 'branch.answered', branch: this.branch as BranchInfo, status });
        if (!this.finished) this.completed(status, false);
      }
      // every 2xx goes upstream: forks and retransmissions alike (RFC 3261 §16.7 step 5)
      this.finish();
      this.forward(ev.response);
      return;
    }
    if (!ev.first || this.finished) return;
    const { deps } = this;
    const ctx = this.running;
    if (this.stamp !== undefined) this.branchFailed(ev);
    const silent = ev.local && !(this.client?.hasProvisional ?? false);
    const failoverable = failoverAllowed(ctx.failover, ev.local, silent, status);
    if (failoverable && !this.cancelled && this.attempt + 1 < ctx.hops.length) {
      deps.log.write('info', 'relay_failover', { callId: ctx.msg.callId(), status, local: ev.local, hop: hop.label ?? `${hop.target.host}:${hop.target.port}` }, 'relay: failing over to the next destination');
      deps.metrics.failover(this.method);
      this.rerouted();
      this.next();
      return;
    }
    if (ctx.failover?.exhausted !== undefined && failoverable && !this.cancelled) {
      // the last contact did not answer either: the request's own answer (480)
      this.allFailed(ctx);
      return;
    }
    this.finish();
    if (ev.local) {
      // our own timeout or transport error: answer with a response built for the upstream request
      this.completed(status, true);
      deps.reply(ctx, status, ev.cause === 'transport-error' ? 'Service Unavailable' : 'Request Timeout');
      return;
    }
    if (failoverable && !this.cancelled) {
      // every destination failed (Kamailio: ds_next_dst() false in failure_route)
      this.allFailed(ctx);
      return;
    }
    this.completed(status, false);
    this.forward(ev.response);
  }

  /** No hop left: the request's fork policy says what to answer, else 503 (Kamailio: ds_next_dst() false). */
  protected allFailed(ctx: RequestContext): void {
    const e = ctx.failover?.exhausted ?? ALL_FAILED;
    this.finish();
    this.completed(e.status, true);
    this.deps.reply(ctx, e.status, e.reason);
  }

  private branchFailed(ev: ClientFinalEvent): void {
    const branch = this.branch as BranchInfo;
    if (!ev.local) this.emit({ type: 'branch.failed', branch, cause: 'status', status: ev.response.status });
    else if (ev.cause === 'transport-error') this.emit({ type: 'branch.failed', branch, cause: 'transport-error' });
    else this.emit({ type: 'branch.failed', branch, cause: 'timeout', provisionalReceived: this.client?.hasProvisional ?? false });
  }

  private rerouted(): void {
    if (this.stamp !== undefined) this.emit({ type: 'request.rerouted', from: this.attempt, to: this.attempt + 1 });
  }

  protected completed(status: number, local: boolean): void {
    if (this.stamp !== undefined) this.emit({ type: 'request.completed', status, local });
  }

  protected onCancel(): void {
    if (this.finished) return;
    this.cancelled = true;
    if (this.stamp !== undefined) this.emit({ type: 'request.cancelled' });
    const client = this.client;
    if (client !== undefined && client.kind === 'invite-client') this.deps.tm.cancelBranch(client, undefined);
  }

  protected finish(): void {
    this.finished = true;
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const topology = this.deps.topology;
    if (topology !== undefined) {
      if (topology.responseHider === undefined) return; // it hides each response from the context: kept
      this.hideResponse = topology.responseHider(ctx);
    }
    this.ctx = undefined;
  }

  /** A response from downstream goes upstream without our Via. */
  protected forward(response: SipMessage): void {
    if (this.tx === undefined) return;
    response.removeFirstValue('via');
    const topology = this.deps.topology;
    if (topology === undefined) {
      this.send(response);
      return;
    }
    // the context is there until finish(), and kept for good without a responseHider (see `ctx`)
    const hideResponse = this.hideResponse;
    const hidden = hideResponse !== undefined ? hideResponse(response) : topology.hideResponse(this.running, response);
    if (hidden === undefined && this.upstream === undefined) {
      this.send(response);
      return;
    }
    const prev = this.upstream ?? Promise.resolve();
    this.upstream = prev
      .then(() => hidden)
      .then(
        () => this.send(response),
        (err: unknown) => {
          // the response still goes up: the caller must learn the outcome even if the dialog cannot be restored later
          this.deps.log.write('warn', 'topology_store_failed', { callId: response.callId(), err, status: response.status }, 'topology: response relayed without its dialog stored');
          this.send(response);
        },
      );
  }

  private send(response: SipMessage): void {
    const tx = this.tx;
    if (tx === undefined) return;
    this.deps.scrub?.(response);
    this.deps.metrics.replied(response.status);
    if (!tx.respond(response) && tx.isTerminated && response.status >= 200 && response.status < 300) this.deps.sendUpstream(response);
  }
}

/** Whether a failed branch may fail over under the routing step's policy (none: never). */
function failoverAllowed(policy: FailoverPolicy | undefined, local: boolean, silent: boolean, status: number): boolean {
  if (policy === undefined) return false;
  return local ? (silent || policy.afterRinging === true) && policy.onTimeout : policy.codes.has(status);
}

/**
 * Which side sent a BYE: the Route entry naming this node carries the
 * dialog's original From tag (`ftag`, written into Record-Route when the
 * dialog was set up, as Kamailio's rr does), so any node can tell without
 * per-dialog state.
 */
function byeSide(ctx: RequestContext): 'caller' | 'callee' | 'unknown' {
  const ftag = ctx.ftag;
  if (ftag === undefined) return 'unknown';
  return ctx.msg.fromTag() === ftag ? 'caller' : 'callee';
}
