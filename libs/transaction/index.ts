// libs/transaction public surface: RFC 3261 §17 transactions for a stateful
// proxy (Kamailio tm). No sockets: messages in, events out, `send` and the
// clock injected. See docs/transactions.md.

/** the manager: matching, creation, CANCEL, size() for sbc_tm_transactions_active */
export {
  TransactionLayer,
  type TransactionLayerDeps,
  type TransactionLayerEvents,
  type RequestDisposition,
  type ResponseDisposition,
  type ServerLimits,
  type ServerTransaction,
  type ClientTransaction,
} from './layer.ts';

/** the four state machines (created by the layer; users call respond() / listen with on()) */
export type { InviteServerTransaction } from './server-invite.ts';
export type { NonInviteServerTransaction } from './server-non-invite.ts';
export type { InviteClientTransaction } from './client-invite.ts';
export type { NonInviteClientTransaction } from './client-non-invite.ts';

/** wire and event shapes, states as discriminated unions */
export {
  isReliable,
  type Proto,
  type Target,
  type Send,
  type TimerName,
  type TimeoutTimer,
  type TerminationReason,
  type ServerTransactionEvents,
  type ClientTransactionEvents,
  type ClientFinalEvent,
  type InviteServerState,
  type NonInviteServerState,
  type InviteClientState,
  type NonInviteClientState,
  type ClientOptions,
  type CancelOutcome,
} from './types.ts';
/** what a completed server transaction keeps of its final: the bytes sent */
export type { SentMessage, SentResponse } from './sent-response.ts';

/** timers T1/T2/T4/D, fr_timer, fr_inv_timer (Timer C), lifetimes: defaults, docs, validation */
export {
  resolveTransactionConfig,
  TRANSACTION_CONFIG_DEFAULTS,
  TRANSACTION_CONFIG_DOC,
  type TransactionConfig,
} from './config.ts';

/** time source: TimerQueues in production, FakeClock in tests (systemClock: one setTimeout per timer) */
export { systemClock, type Clock, type TimerHandle } from './clock.ts';
export { TimerQueues } from './timer-queues.ts';
export { FakeClock } from './fake-clock.ts';

export { TransactionError, type TransactionErrorCode } from './errors.ts';

/** RFC 3261 §16.7 step 6/7: best final among a proxy's branches */
export { chooseBestResponse, withMergedChallenges, type BestResponse, type ChallengeHeader } from './best-response.ts';

/** a target sent from a chosen listen socket (a branch's, a probe's) */
export { withSocket } from './messages.ts';

/** metric names registered when a Registry is given */
export { TM_METRIC_NAMES } from './metrics.ts';
