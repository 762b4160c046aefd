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

/** what the layer's lingering hook gets */
export interface LingeringTransaction {
  readonly side: 'server' | 'client';
  reclaim(): void;
}

export interface TxHooks {
  /** the transaction ended: remove it from the layer's map (identity-checked) */
  terminated(tx: { readonly key: string; readonly side: 'server' | 'client' }): void;
  /**
   * The transaction has its final exchanged and only lingers for
   * retransmissions (server: final sent, or a non-2xx to an INVITE ACKed;
   * client: final received). A server transaction then no longer counts
   * toward its source's limit, and any may be reclaimed at the node's limit.
   */
  lingering?(tx: LingeringTransaction): void;
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
