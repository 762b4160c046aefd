// One call record from its events (pure; no I/O). The same assembly runs in
// the writer (state kept in PostgreSQL between batches) and in the embedded
// single-node mode (state kept in memory). Events may arrive in any order
// across nodes (a BYE handled by another node can overtake the INVITE's own
// events): the state only accumulates, and a record closes once it has what
// it needs, or when its deadline passes (node lost / dialog expired).
import type { AccEvent, AttemptCause, Proto } from './events.ts';

export type AttemptResult = 'answered' | 'failed' | 'timeout' | 'transport-error' | 'cancelled' | 'unknown';

export interface AttemptRecord {
  readonly n: number;
  /** gateway URI (dispatcher destination) */
  readonly gateway: string;
  readonly duid?: string;
  /** when the branch left */
  readonly at: number;
  readonly result: AttemptResult;
  /** final status of the branch (a 2xx, or the failure status); absent on timeout / transport error */
  readonly status?: number;
}

export type EndReason =
  /** BYE from the caller / from the callee / from a side the node could not tell */
  | 'caller_bye' | 'callee_bye' | 'bye'
  /** never answered: the caller cancelled; a final failure status; our own timeout; refused before routing */
  | 'cancelled' | 'failed' | 'timeout' | 'refused'
  /** the node that took the INVITE died before a final answer, and nothing else came */
  | 'node_lost'
  /** answered, but no BYE came before the dialog's lifetime ran out */
  | 'expired';

/** Why a call was not answered (the per-gateway failure counters). */
export type FailureClass = 'no_answer' | 'busy' | 'not_reachable' | 'congestion' | 'route_select_failure' | 'barred' | 'cancelled' | 'node_lost' | 'other';
export const FAILURE_CLASSES: readonly FailureClass[] = ['no_answer', 'busy', 'not_reachable', 'congestion', 'route_select_failure', 'barred', 'cancelled', 'node_lost', 'other'];

/** The finished call record (one row of acc_cdrs). Times are epoch ms. */
export interface AccRecord {
  readonly callId: string;
  readonly coreCallId?: string;
  readonly fromUri?: string;
  readonly fromTag?: string;
  readonly toUri?: string;
  readonly toTag?: string;
  readonly ruri?: string;
  readonly srcIp?: string;
  readonly srcPort?: number;
  readonly transport?: Proto;
  readonly authUser?: string;
  /** node that took the INVITE */
  readonly node?: string;
  /** node that relayed the BYE */
  readonly byeNode?: string;
  /** last gateway tried (the one that answered, or the last that failed) */
  readonly gateway?: string;
  readonly duid?: string;
  readonly attempts: readonly AttemptRecord[];
  readonly reroutes: number;
  readonly inviteAt?: number;
  readonly ringAt?: number;
  readonly answerAt?: number;
  readonly endAt: number;
  /** INVITE -> answer (or -> final failure): the setup latency */
  readonly setupMs?: number;
  /** INVITE -> first provisional or final (RFC 6076 session request delay) */
  readonly srdMs?: number;
  /** answer -> end; 0 when not answered */
  readonly durationMs: number;
  readonly endReason: EndReason;
  readonly failure?: FailureClass;
  /** the final status the caller received (0: none known, e.g. node lost) */
  readonly sipStatus: number;
  readonly sipReason: string;
}

interface Attempt {
  n: number;
  gw: string;
  duid?: string;
  at: number;
  result?: AttemptResult;
  cause?: AttemptCause;
  status?: number;
  provisional?: boolean;
}

/** What is known so far about one call; JSON-serializable (kept in acc_open_calls between batches). */
export interface CallState {
  call: string;
  start?: Extract<AccEvent, { t: 'start' }>;
  attempts: Attempt[];
  ringAt?: number;
  answer?: { at: number; n: number; status: number; toTag?: string };
  cancelledAt?: number;
  final?: { at: number; status: number; local: boolean; reason?: string; node: string; k?: number };
  refused?: { at: number; status: number; reason: string; code: string; node: string; k?: number };
  /** setup events (everything but ended/refresh) received, per emitting node */
  setup: Record<string, number>;
  ended?: { at: number; by: 'caller' | 'callee' | 'unknown'; node: string; toTag?: string };
  /** the latest event time seen (deadlines count from it) */
  lastAt: number;
}

export function newCallState(call: string): CallState {
  return { call, attempts: [], setup: {}, lastAt: 0 };
}

/** Folds one event into the state (idempotent per event; the caller drops repeated ids). */
export function applyEvent(s: CallState, ev: AccEvent): void {
  if (ev.at > s.lastAt) s.lastAt = ev.at;
  if (ev.t !== 'ended' && ev.t !== 'refresh') s.setup[ev.node] = (s.setup[ev.node] ?? 0) + 1;
  switch (ev.t) {
    case 'start':
      s.start ??= ev;
      return;
    case 'attempt':
      markAttempt(s, ev.n, ev.at, (a) => {
        a.gw = ev.gw;
        a.at = ev.at;
        if (ev.duid !== undefined) a.duid = ev.duid;
      });
      return;
    case 'ringing':
      if (s.ringAt === undefined || ev.at < s.ringAt) s.ringAt = ev.at;
      markAttempt(s, ev.n, ev.at, (a) => { a.provisional = true; });
      return;
    case 'attempt-failed':
      markAttempt(s, ev.n, ev.at, (a) => {
        a.cause = ev.cause;
        if (ev.status !== undefined) a.status = ev.status;
        if (ev.provisional === true) a.provisional = true;
        a.result = ev.cause === 'status' ? (ev.status === 487 ? 'cancelled' : 'failed') : ev.cause;
      });
      return;
    case 'answered':
      s.answer ??= { at: ev.at, n: ev.n, status: ev.status, ...(ev.toTag !== undefined ? { toTag: ev.toTag } : {}) };
      markAttempt(s, ev.n, ev.at, (a) => { a.result = 'answered'; a.status = ev.status; });
      return;
    case 'cancelled':
      s.cancelledAt ??= ev.at;
      return;
    case 'final':
      s.final ??= { at: ev.at, status: ev.status, local: ev.local, node: ev.node, ...(ev.reason !== undefined ? { reason: ev.reason } : {}), ...(ev.k !== undefined ? { k: ev.k } : {}) };
      return;
    case 'refused':
      s.refused ??= { at: ev.at, status: ev.status, reason: ev.reason, code: ev.code, node: ev.node, ...(ev.k !== undefined ? { k: ev.k } : {}) };
      return;
    case 'ended':
      if (s.ended === undefined || ev.at < s.ended.at) s.ended = { at: ev.at, by: ev.by, node: ev.node, ...(ev.toTag !== undefined ? { toTag: ev.toTag } : {}) };
      return;
    case 'refresh':
      return;
  }
}

/** Updates attempt n, made first if its own event has not come yet (batches arrive in any order). */
function markAttempt(s: CallState, n: number, at: number, f: (a: Attempt) => void): void {
  let a = s.attempts.find((x) => x.n === n);
  if (a === undefined) {
    a = { n, gw: '', at };
    s.attempts.push(a);
    s.attempts.sort((x, y) => x.n - y.n);
  }
  f(a);
}

function isAnswered(s: CallState): boolean {
  return s.answer !== undefined || (s.final !== undefined && s.final.status >= 200 && s.final.status < 300);
}

/**
 * A record can be written: refused, failed, or answered and hung up, and
 * every event the INVITE's node emitted before its final one is in (the
 * final event counts them: batches may arrive out of order).
 */
export function isComplete(s: CallState): boolean {
  const fin = s.refused ?? s.final;
  if (fin === undefined) return false;
  if (fin.k !== undefined && (s.setup[fin.node] ?? 0) < fin.k + 1) return false;
  if (s.refused !== undefined) return true;
  if (isAnswered(s)) return s.ended !== undefined;
  return fin.status >= 300;
}

/**
 * When an open call gives up waiting (ms since epoch, the nodes' clocks): a
 * call not yet answered waits setupExpireMs for its final answer (its node
 * may have died), an answered one dialogExpireMs for its BYE, both from its
 * latest event. Whoever closes calls by this deadline must have seen every
 * event up to it (the writer compares it with the oldest batch still queued).
 */
export function deadlineOf(s: CallState, opts: { setupExpireMs: number; dialogExpireMs: number }): number {
  return s.lastAt + (isAnswered(s) ? opts.dialogExpireMs : opts.setupExpireMs);
}

/** The record of a complete call, or of an open one closed at `now` because its deadline passed. */
export function finishRecord(s: CallState, now?: number): AccRecord {
  const st = s.start;
  const answered = isAnswered(s);
  const last = s.attempts.length > 0 ? s.attempts[s.attempts.length - 1] : undefined;
  const answeredAttempt = s.answer !== undefined ? s.attempts.find((a) => a.n === s.answer?.n) : undefined;
  const gw = answeredAttempt ?? last;
  const inviteAt = st?.at ?? s.attempts[0]?.at;
  const answerAt = answered ? (s.answer?.at ?? s.final?.at) : undefined;
  const { endReason, endAt } = endOf(s, answered, now);
  const finalAt = s.final?.at ?? s.refused?.at;
  const sipStatus = s.refused?.status ?? s.final?.status ?? s.answer?.status ?? 0;
  const failure = answered ? undefined : classify(s, endReason);
  const firstResponse = minDefined(s.ringAt, answerAt ?? finalAt);
  return {
    callId: s.call,
    ...(st?.coreCall !== undefined ? { coreCallId: st.coreCall } : {}),
    ...(st !== undefined ? { fromUri: st.from, fromTag: st.fromTag, toUri: st.to, ruri: st.ruri, srcIp: st.src.ip, srcPort: st.src.port, transport: st.src.proto, node: st.node } : {}),
    ...(st?.user !== undefined ? { authUser: st.user } : {}),
    ...((s.answer?.toTag ?? s.ended?.toTag) !== undefined ? { toTag: s.answer?.toTag ?? s.ended?.toTag } : {}),
    ...(s.ended !== undefined ? { byeNode: s.ended.node } : {}),
    ...(gw !== undefined ? { gateway: gw.gw, ...(gw.duid !== undefined ? { duid: gw.duid } : {}) } : {}),
    attempts: s.attempts.map((a) => ({ n: a.n, gateway: a.gw, ...(a.duid !== undefined ? { duid: a.duid } : {}), at: a.at, result: a.result ?? (answered && a === gw ? 'answered' : 'unknown'), ...(a.status !== undefined ? { status: a.status } : {}) })),
    reroutes: Math.max(0, s.attempts.length - 1),
    ...(inviteAt !== undefined ? { inviteAt } : {}),
    ...(s.ringAt !== undefined ? { ringAt: s.ringAt } : {}),
    ...(answerAt !== undefined ? { answerAt } : {}),
    endAt,
    ...(inviteAt !== undefined && (answerAt ?? finalAt) !== undefined ? { setupMs: Math.max(0, (answerAt ?? finalAt as number) - inviteAt) } : {}),
    ...(inviteAt !== undefined && firstResponse !== undefined ? { srdMs: Math.max(0, firstResponse - inviteAt) } : {}),
    durationMs: answerAt !== undefined ? Math.max(0, endAt - answerAt) : 0,
    endReason,
    ...(failure !== undefined ? { failure } : {}),
    sipStatus,
    sipReason: s.refused?.reason ?? s.final?.reason ?? reasonPhrase(sipStatus),
  };
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function endOf(s: CallState, answered: boolean, now: number | undefined): { endReason: EndReason; endAt: number } {
  if (s.refused !== undefined) return { endReason: 'refused', endAt: s.refused.at };
  if (answered) {
    if (s.ended !== undefined) return { endReason: s.ended.by === 'caller' ? 'caller_bye' : s.ended.by === 'callee' ? 'callee_bye' : 'bye', endAt: s.ended.at };
    // closed by its deadline: the call lasted at least until the last sign of life
    return { endReason: 'expired', endAt: s.lastAt };
  }
  if (s.final !== undefined && s.final.status >= 300) {
    if (s.cancelledAt !== undefined || s.final.status === 487) return { endReason: 'cancelled', endAt: s.final.at };
    if (s.final.local && s.final.status === 408) return { endReason: 'timeout', endAt: s.final.at };
    return { endReason: 'failed', endAt: s.final.at };
  }
  return { endReason: 'node_lost', endAt: now !== undefined ? Math.min(now, s.lastAt) : s.lastAt };
}

/** Kamailio/RFC 6076 style failure classes from what the caller got and what the last gateway did. */
export function classify(s: CallState, endReason: EndReason): FailureClass {
  if (s.refused !== undefined) return refusalClass(s.refused.code, s.refused.status);
  if (endReason === 'node_lost') return 'node_lost';
  if (endReason === 'cancelled' && s.cancelledAt !== undefined) return 'cancelled';
  const last = s.attempts[s.attempts.length - 1];
  if (last === undefined) return s.final !== undefined && s.final.local ? 'route_select_failure' : 'other';
  if (last.cause === 'timeout') return last.provisional === true ? 'no_answer' : 'not_reachable';
  if (last.cause === 'transport-error') return 'not_reachable';
  return statusClass(last.status ?? s.final?.status ?? 0);
}

function refusalClass(code: string, status: number): FailureClass {
  const feature = code.split('.')[0];
  if (feature === 'dispatcher') return 'route_select_failure';
  if (['permissions', 'secfilter', 'pike', 'bans', 'auth', 'acl'].includes(feature) || status === 403) return 'barred';
  return 'other';
}

export function statusClass(status: number): FailureClass {
  switch (status) {
    case 486: case 600: case 603: return 'busy';
    case 408: case 480: case 487: return 'no_answer';
    case 404: case 410: case 484: case 604: return 'not_reachable';
    case 500: case 502: case 503: case 504: case 580: return 'congestion';
    case 401: case 403: case 407: return 'barred';
    default: return 'other';
  }
}

const PHRASES: Readonly<Record<number, string>> = {
  0: '', 200: 'OK', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 480: 'Temporarily Unavailable',
  486: 'Busy Here', 487: 'Request Terminated', 500: 'Server Internal Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 600: 'Busy Everywhere', 603: 'Decline',
};

function reasonPhrase(status: number): string {
  return PHRASES[status] ?? '';
}

/** The label a record is counted under in the per-gateway metrics. */
export function gatewayLabel(r: Pick<AccRecord, 'duid' | 'gateway'>): string {
  return r.duid ?? r.gateway ?? 'none';
}
