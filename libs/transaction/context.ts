// What every transaction gets from its layer: time, the wire, config and a
// few hooks back into the layer (map removal, metrics). Internal.
import type { RateLimitedLog } from '#libs/rejections';
import type { Clock } from './clock.ts';
import type { TransactionConfig } from './config.ts';
import type { Send, TimerName } from './types.ts';

export type RetransmitKind =
  /** a client transaction re-sent its request (Timer A / E) */
  | 'request'
  /** a server transaction re-sent its last response (Timer G, or on a request retransmission) */
  | 'response'
  /** an INVITE client re-sent its ACK on a final retransmission */
  | 'ack'
  /** a request retransmission was absorbed (nothing had to be re-sent) */
  | 'absorbed';

export interface TxHooks {
  /** the transaction ended: remove it from the layer's map (identity-checked) */
  terminated(tx: { readonly key: string; readonly side: 'server' | 'client' }): void;
  /** a server transaction waits for nothing more from its source (final sent; a non-2xx to an INVITE ACKed): the per-source limit stops counting it */
  answered?(tx: object): void;
  retransmitted(kind: RetransmitKind): void;
  timedOut(timer: TimerName): void;
  listenerError(err: unknown, event: string, key: string): void;
}

export interface TxContext {
  readonly clock: Clock;
  readonly send: Send;
  readonly config: Readonly<TransactionConfig>;
  /** per-transaction lines (a peer can cause one per request): rate-limited per kind */
  readonly log: RateLimitedLog | undefined;
  readonly hooks: TxHooks;
}
