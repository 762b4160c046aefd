// From the proxy's call events (and the acc step's look at the INVITE) to
// accounting events. Only what a record needs is kept: INVITE branches and
// outcomes, CANCEL, BYE, and in-dialog re-INVITE/UPDATE as a sign of life.
// Runs on the hot path: a few field reads and one small object per event.
import type { Step } from '#libs/pipeline';
import type { CallEvent, Hop, RequestContext } from '#libs/proxy';
import type { SipMessage } from '#libs/sip';
import { detachedCopy } from '#libs/strings';
import type { AccEventInput, Proto } from './events.ts';

export type Emit = (ev: AccEventInput) => void;

/** The authenticated user of a request, once authentication exists (undefined: not known). */
export type UserOf = (msg: SipMessage) => string | undefined;

/** The Call-ID the core-side leg of a call carries when topology hiding masks it (undefined: the same). */
export type CoreCallIdOf = (msg: SipMessage) => string | undefined;

/**
 * Wraps `emit` so that each call's final (or refused) event says how many
 * events about the call this node emitted before it (`k`): the writer then
 * knows when it has them all, whatever order batches are written in. One
 * counter per call in setup, dropped at its final event; bounded (maxCalls,
 * oldest dropped first: its final then carries no count and the writer
 * does without).
 */
export function countingEmit(emit: Emit, maxCalls = 100_000): Emit {
  const counts = new Map<string, number>();
  return (ev) => {
    if (ev.t === 'final' || ev.t === 'refused') {
      const k = counts.get(ev.call);
      counts.delete(ev.call);
      // onto the producer's own fresh object: an object literal adding k after a
      // spread of ev is slow on Node 20 (libs/proxy call-events.ts, stamped)
      emit(k === undefined ? ev : Object.assign(ev, { k }));
      return;
    }
    if (ev.t !== 'ended' && ev.t !== 'refresh') {
      const n = counts.get(ev.call);
      if (n === undefined && counts.size >= maxCalls) counts.delete(counts.keys().next().value as string);
      // a new key is a copy: ev.call is a slice of the INVITE's text (libs/strings)
      counts.set(n === undefined ? detachedCopy(ev.call) : ev.call, (n ?? 0) + 1);
    }
    emit(ev);
  };
}

/** Finds the duid of a hop: from what the routing step attached, else by its URI. */
export type DuidOf = (hop: Hop) => string | undefined;

export function hopDuid(hop: Hop, byUri?: (uri: string) => string | undefined): string | undefined {
  // the dispatcher attaches its DispatchedHop { setId, dest: Destination } (libs/dispatcher step.ts)
  const d = hop.data as { duid?: unknown; attrs?: { duid?: unknown }; dest?: { attrs?: { duid?: unknown } } } | undefined;
  if (d !== undefined && d !== null && typeof d === 'object') {
    if (typeof d.duid === 'string') return d.duid;
    if (typeof d.attrs?.duid === 'string') return d.attrs.duid;
    if (typeof d.dest?.attrs?.duid === 'string') return d.dest.attrs.duid;
  }
  return hop.label !== undefined ? byUri?.(hop.label) : undefined;
}

function gatewayOf(hop: Hop): string {
  return hop.label ?? `sip:${hop.target.host}:${hop.target.port};transport=${hop.target.proto}`;
}

/** Turns one call event into accounting events (none for what a record does not need). */
export function callEventToAcc(ev: CallEvent, emit: Emit, duidOf: DuidOf, user: UserOf): void {
  const call = ev.callId;
  if (ev.method === 'INVITE') {
    if (ev.type === 'request.refused') {
      if (ev.toTag === undefined) refusedInvite(ev, emit, user);
      return;
    }
    if (ev.toTag !== undefined) {
      // a re-INVITE: the dialog is alive
      if (ev.type === 'request.accepted') emit({ t: 'refresh', call, at: ev.at });
      return;
    }
    switch (ev.type) {
      case 'branch.sent': {
        const duid = duidOf(ev.branch.hop);
        emit({ t: 'attempt', call, at: ev.at, n: ev.branch.attempt, gw: gatewayOf(ev.branch.hop), ...(duid !== undefined ? { duid } : {}) });
        return;
      }
      case 'branch.provisional':
        if (ev.first) emit({ t: 'ringing', call, at: ev.at, n: ev.branch.attempt, status: ev.status });
        return;
      case 'branch.answered':
        emit({ t: 'answered', call, at: ev.at, n: ev.branch.attempt, status: ev.status });
        return;
      case 'branch.failed':
        if (ev.cause === 'status') emit({ t: 'attempt-failed', call, at: ev.at, n: ev.branch.attempt, cause: 'status', status: ev.status });
        else if (ev.cause === 'timeout') emit({ t: 'attempt-failed', call, at: ev.at, n: ev.branch.attempt, cause: 'timeout', provisional: ev.provisionalReceived });
        else emit({ t: 'attempt-failed', call, at: ev.at, n: ev.branch.attempt, cause: 'transport-error' });
        return;
      case 'request.cancelled':
        emit({ t: 'cancelled', call, at: ev.at });
        return;
      case 'request.completed':
        emit({ t: 'final', call, at: ev.at, status: ev.status, local: ev.local });
        return;
      default:
        return;
    }
  }
  if (ev.type === 'dialog.ended') {
    // the callee's tag: the To tag of a caller's BYE, the From tag of a callee's
    const calleeTag = ev.by === 'callee' ? ev.fromTag : ev.by === 'caller' ? ev.toTag : undefined;
    emit({ t: 'ended', call, at: ev.at, by: ev.by, ...(calleeTag !== undefined ? { toTag: calleeTag } : {}) });
    return;
  }
  if (ev.type === 'request.accepted' && ev.method === 'UPDATE' && ev.toTag !== undefined) emit({ t: 'refresh', call, at: ev.at });
}

function protoOf(p: string): Proto {
  return p === 'tcp' || p === 'tls' || p === 'ws' || p === 'wss' ? p : 'udp';
}

/** The `start` event of an initial INVITE (what the call events do not carry: From/To, R-URI, source). */
export function startEvent(msg: SipMessage, source: { proto: string; address: string; port: number }, user: UserOf, coreCallIdOf: CoreCallIdOf = () => undefined): AccEventInput {
  const from = msg.from();
  const to = msg.to();
  const u = user(msg);
  const core = coreCallIdOf(msg);
  return {
    t: 'start',
    call: msg.callId() ?? '',
    at: Date.now(),
    from: from?.uriText ?? '',
    fromTag: msg.fromTag() ?? '',
    to: to?.uriText ?? '',
    ruri: msg.uri,
    src: { ip: source.address, port: source.port, proto: protoOf(source.proto) },
    ...(u !== undefined ? { user: u } : {}),
    ...(core !== undefined ? { coreCall: core } : {}),
  };
}

/**
 * The acc step (place `final`): every initial INVITE about to be relayed
 * gives its `start` event. Retransmissions never get here (the transaction
 * step absorbs them), so each INVITE counts once per node.
 */
export function accStartStep(emit: Emit, user: UserOf, coreCallIdOf?: CoreCallIdOf): Step<RequestContext> {
  return {
    name: 'acc',
    run(ctx) {
      if (ctx.msg.method === 'INVITE' && !ctx.inDialog) emit(startEvent(ctx.msg, ctx.source, user, coreCallIdOf));
      return 'next';
    },
  };
}

/**
 * Refusals that are no call: malformed requests and floods (sanity, pike,
 * bans) would only fill the accounting with noise; and a digest challenge
 * (401/407) is the first round of a call the UA re-sends with credentials
 * under the same Call-ID: a record for it would close that call before it
 * starts.
 */
const NOT_CALLS = /^(sanity\.|pike\.|bans\.|auth\.challenge$)/;

/** An initial INVITE the node refused: a record (Kamailio failed_transaction_flag), unless it was noise. */
function refusedInvite(ev: Extract<CallEvent, { type: 'request.refused' }>, emit: Emit, user: UserOf): void {
  if (NOT_CALLS.test(ev.code)) return;
  const start = startEvent(ev.request, ev.source, user);
  emit(start);
  emit({ t: 'refused', call: ev.callId, at: ev.at, status: ev.status, reason: ev.reason, code: ev.code });
}
