// Transaction timers and proxy timeouts, validated once and frozen. Every
// problem is reported at once (style.md #8). Names follow RFC 3261 §17 and
// Kamailio tm (fr_timer, fr_inv_timer, max_inv_lifetime, max_noninv_lifetime).
import { TransactionError } from './errors.ts';

export interface TransactionConfig {
  /** RTT estimate, ms (RFC 3261 T1). Timer A/E/G start here; B/F/H/J/L/M are 64*T1. */
  t1: number;
  /** cap of non-INVITE request and INVITE final response retransmit intervals, ms (T2) */
  t2: number;
  /** how long a message may stay in the network, ms (T4): Timers I and K over udp */
  t4: number;
  /** INVITE client: how long to absorb non-2xx retransmissions after the ACK over udp, ms (RFC: > 32 s) */
  timerD: number;
  /** no response at all within this many ms -> local 408, so the proxy fails over (Kamailio fr_timer). 0 = off */
  frTimer: number;
  /** Timer C: INVITE branch without final this long after the last provisional -> CANCEL + local 408 (Kamailio fr_inv_timer) */
  frInvTimer: number;
  /** INVITE server transaction never answered by its user within this many ms is dropped (Kamailio max_inv_lifetime) */
  maxInviteLifetime: number;
  /** same for non-INVITE (Kamailio max_noninv_lifetime); must exceed Timer F so a local 408 can still be relayed */
  maxNonInviteLifetime: number;
  /** a stateful proxy answers INVITE with 100 Trying at once (RFC 3261 §16.2 / §17.2.1) */
  send100Trying: boolean;
  /**
   * how long a transaction that has its final response lingers to absorb
   * retransmissions (Timers J, L, M), ms; 0 = the RFC's 64*T1 (32 s).
   * Default 5 s as Kamailio's wt_timer: far less memory held per call.
   */
  waitTimer: number;
}

export const TRANSACTION_CONFIG_DEFAULTS: Readonly<TransactionConfig> = Object.freeze({
  t1: 500,
  t2: 4000,
  t4: 5000,
  timerD: 32000,
  // RFC 3261 Timer F (64*T1); Kamailio's fr_timer is 30000
  frTimer: 32000,
  frInvTimer: 120000,
  maxInviteLifetime: 180000,
  maxNonInviteLifetime: 40000,
  send100Trying: true,
  // Kamailio wt_timer: a transaction with its final answer lingers 5 s, not the RFC's 32 s (memory per call)
  waitTimer: 5000,
});

/** Timers J, L, M: the configured wait, or 64*T1. */
export function lingerMs(c: Readonly<TransactionConfig>): number {
  return c.waitTimer > 0 ? c.waitTimer : 64 * c.t1;
}

/** One line per option, for docs and an admin "config show" (name, default, meaning). */
export const TRANSACTION_CONFIG_DOC: Readonly<Record<keyof TransactionConfig, string>> = Object.freeze({
  t1: 'RTT estimate in ms (RFC 3261 T1); 64*T1 is Timer B/F/H/J/L/M',
  t2: 'max retransmit interval in ms for non-INVITE requests and INVITE finals (T2)',
  t4: 'max lifetime of a message in the network in ms (T4): Timers I and K over UDP',
  timerD: 'ms an INVITE client absorbs non-2xx retransmissions after its ACK over UDP (RFC: > 32000)',
  frTimer: 'ms without any response before a branch times out with a local 408 (Kamailio fr_timer); 0 = off',
  frInvTimer: 'Timer C in ms: no final this long after the last provisional -> CANCEL + local 408 (Kamailio fr_inv_timer)',
  maxInviteLifetime: 'ms an unanswered INVITE server transaction may live (Kamailio max_inv_lifetime)',
  maxNonInviteLifetime: 'ms an unanswered non-INVITE server transaction may live (Kamailio max_noninv_lifetime)',
  send100Trying: 'answer INVITE with 100 Trying at once',
  waitTimer: 'ms a transaction with its final response lingers for retransmissions (Timers J, L, M; Kamailio wt_timer); 0 = 64*T1 as in RFC 3261/6026',
});

function isMs(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 2_147_483_647;
}

/** Merges over the defaults, validates, freezes. Throws TransactionError('bad_config') listing every problem. */
export function resolveTransactionConfig(input: Partial<TransactionConfig> = {}): Readonly<TransactionConfig> {
  const c: TransactionConfig = { ...TRANSACTION_CONFIG_DEFAULTS, ...input };
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!(key in TRANSACTION_CONFIG_DEFAULTS)) problems.push(`unknown option "${key}"`);
  }
  const ms: (keyof TransactionConfig)[] = ['t1', 't2', 't4', 'timerD', 'frTimer', 'frInvTimer', 'maxInviteLifetime', 'maxNonInviteLifetime', 'waitTimer'];
  for (const k of ms) {
    if (!isMs(c[k])) problems.push(`${k} must be an integer number of ms between 0 and 2147483647 (got ${String(c[k])})`);
  }
  if (typeof c.send100Trying !== 'boolean') problems.push(`send100Trying must be true or false (got ${String(c.send100Trying)})`);
  if (problems.length === 0) {
    if (c.t1 === 0) problems.push('t1 must be > 0 (RFC 3261 default 500)');
    if (c.t2 < c.t1) problems.push(`t2 (${c.t2}) must be >= t1 (${c.t1})`);
    if (c.waitTimer > 0 && c.waitTimer < c.t4) problems.push(`waitTimer (${c.waitTimer}) must be 0 (64*T1) or at least t4 (${c.t4}) so retransmissions in flight are still absorbed`);
    if (c.frInvTimer === 0) problems.push('frInvTimer must be > 0: Timer C is what bounds a ringing INVITE branch');
    if (c.maxInviteLifetime <= c.frInvTimer) {
      problems.push(`maxInviteLifetime (${c.maxInviteLifetime}) must exceed frInvTimer (${c.frInvTimer}) so Timer C can still produce an answer`);
    }
    const timerF = 64 * c.t1;
    if (c.maxNonInviteLifetime <= timerF) {
      problems.push(`maxNonInviteLifetime (${c.maxNonInviteLifetime}) must exceed Timer F = 64*t1 (${timerF}) so a local 408 can still be relayed`);
    }
    if (c.frTimer > 0 && c.maxNonInviteLifetime <= c.frTimer) {
      problems.push(`maxNonInviteLifetime (${c.maxNonInviteLifetime}) must exceed frTimer (${c.frTimer})`);
    }
  }
  if (problems.length > 0) {
    throw new TransactionError('bad_config', `invalid transaction config: ${problems.join('; ')}`);
  }
  return Object.freeze(c);
}
