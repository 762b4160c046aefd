// Call events: one typed stream of what happens to a request and its branches
// on this node, for features that watch calls (dispatcher destination states
// and call-load, accounting, metrics). The relay emits them; no feature reaches
// into the relay or the transactions.
//
// Every event is about one request the node relayed (statefully, or a 2xx ACK
// statelessly). Nothing here needs the node to have seen the INVITE: an
// in-dialog request (BYE, ACK, re-INVITE) handled by any node emits its events
// from what it carries (Call-ID, tags, Route). Listeners run synchronously on
// the hot path: they must be quick and must not throw (a throwing listener is
// logged and skipped, the call goes on).
import type { SipMessage } from '#libs/sip';
import type { Target } from '#libs/transaction';
import type { Proto, SocketId } from '#libs/transport';
import type { Hop } from './context.ts';

/** What every event carries. */
export interface CallEventBase {
  /** Call-ID of the request ('' when it has none) */
  readonly callId: string;
  /** method of the request the event is about (the INVITE for its branches) */
  readonly method: string;
  /** From tag and To tag of the request as it arrived (toTag undefined: out of dialog) */
  readonly fromTag: string | undefined;
  readonly toTag: string | undefined;
  /** Date.now() when it happened */
  readonly at: number;
}

/** One branch (client transaction) of a relayed request. */
export interface BranchInfo {
  /** 0 for the first destination tried, 1 for the first failover... */
  readonly attempt: number;
  /** the hop as the routing step chose it (its `label`, e.g. the dispatcher URI, and `data`) */
  readonly hop: Hop;
  readonly target: Target;
  /** the listen socket the branch left from */
  readonly socket: SocketId;
  readonly transport: Proto;
}

export type CallEvent =
  /** The node took the request in and starts relaying it (after every screening and routing step). */
  | (CallEventBase & { readonly type: 'request.accepted'; readonly inDialog: boolean; readonly source: { proto: Proto; address: string; port: number }; readonly local: SocketId; readonly hops: number })
  /** A branch left for a destination. */
  | (CallEventBase & { readonly type: 'branch.sent'; readonly branch: BranchInfo })
  /** A provisional (101-199) came back on a branch; `first` for the first one of the branch. */
  | (CallEventBase & { readonly type: 'branch.provisional'; readonly branch: BranchInfo; readonly status: number; readonly first: boolean })
  /** A 2xx came back on a branch (the first one of the branch; forks and retransmissions are not repeated). */
  | (CallEventBase & { readonly type: 'branch.answered'; readonly branch: BranchInfo; readonly status: number })
  /**
   * A branch ended without a 2xx: a final >= 300 from downstream (`status`),
   * our own timer (`timeout`; `provisionalReceived` says whether the
   * destination had answered provisionally, i.e. it is alive but nobody
   * picked up), or a transport error (no socket, connection refused).
   */
  | (CallEventBase & { readonly type: 'branch.failed'; readonly branch: BranchInfo; readonly cause: 'status'; readonly status: number })
  | (CallEventBase & { readonly type: 'branch.failed'; readonly branch: BranchInfo; readonly cause: 'timeout'; readonly provisionalReceived: boolean })
  | (CallEventBase & { readonly type: 'branch.failed'; readonly branch: BranchInfo; readonly cause: 'transport-error' })
  /** After a failed branch, the request moves on to the next destination (failover). */
  | (CallEventBase & { readonly type: 'request.rerouted'; readonly from: number; readonly to: number })
  /** The caller CANCELled the request while it was being relayed. */
  | (CallEventBase & { readonly type: 'request.cancelled' })
  /**
   * The request got its final answer upstream: `status` is what the caller
   * received (a relayed response, or `local`: one the node made itself, e.g.
   * 503 after every destination failed, 408 on timeout).
   */
  | (CallEventBase & { readonly type: 'request.completed'; readonly status: number; readonly local: boolean })
  /**
   * The node refused the request itself before relaying it (a screening or
   * routing step's verdict, a step error, no route) and answered `status`.
   * `code` is the rejection code (libs/rejections). `request` is the refused
   * message, for listeners that record who called whom (accounting): read it
   * during the call, never keep it. Dropped requests (no answer) emit nothing.
   */
  | (CallEventBase & { readonly type: 'request.refused'; readonly status: number; readonly reason: string; readonly code: string; readonly request: SipMessage; readonly source: { proto: Proto; address: string; port: number } })
  /** An ACK for a 2xx passed through (the dialog is confirmed). */
  | (CallEventBase & { readonly type: 'dialog.confirmed' })
  /**
   * A BYE was relayed: the dialog ends. `by` is the side that hung up,
   * 'caller' when the BYE's From tag is the dialog's original From tag
   * (read from the ftag the node put in its Record-Route), 'callee' when it
   * is the other one, 'unknown' when the Route carries no ftag (a dialog
   * set up before ftag was recorded).
   */
  | (CallEventBase & { readonly type: 'dialog.ended'; readonly by: 'caller' | 'callee' | 'unknown' });

export type CallEventType = CallEvent['type'];
export type CallEventListener = (event: CallEvent) => void;

/**
 * The stream: features subscribe with `on`, the relay emits. `active` is
 * false while nobody listens, so the relay builds no event objects at all.
 */
export class CallEvents {
  private listeners: CallEventListener[] = [];

  constructor(private readonly onListenerError: (err: unknown, event: CallEvent) => void = () => {}) {}

  /** true when at least one listener is subscribed (check it before building an event) */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  /** Subscribe; returns the unsubscribe function. */
  on(listener: CallEventListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => { this.listeners = this.listeners.filter((l) => l !== listener); };
  }

  emit(event: CallEvent): void {
    for (const l of this.listeners) {
      try { l(event); } catch (err) { this.onListenerError(err, event); }
    }
  }
}

/** The fields every event about `msg` carries. */
export function eventBase(msg: SipMessage): CallEventBase {
  return { callId: msg.callId() ?? '', method: msg.method, fromTag: msg.fromTag(), toTag: msg.toTag(), at: Date.now() };
}

/** Omit applied to each member of a union (TS's Omit would merge the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A call event without the fields every event carries: what the relay writes per event. */
export type CallEventBody = DistributiveOmit<CallEvent, keyof CallEventBase>;

/**
 * The event: `body` added onto `base` (a fresh object, as eventBase makes).
 * Not `{ ...base, type, ... }`: on Node 20's V8 an object literal that adds
 * properties after a spread takes a slow path, ~1.4 µs an object against
 * ~0.1 µs here (docs/benchmarks.md, session 13), and a call makes about 11.
 */
export function stamped(base: CallEventBase, body: CallEventBody): CallEvent {
  return Object.assign(base, body) as CallEvent;
}
