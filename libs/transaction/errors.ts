// Coded errors of the transaction layer. Each message names what to fix.

export type TransactionErrorCode =
  /** a config value is invalid; the message lists every problem */
  | 'bad_config'
  /** sendRequest got a request without a top Via, or a branch without the z9hG4bK cookie */
  | 'bad_branch'
  /** sendRequest got a request without a readable CSeq */
  | 'bad_cseq'
  /** sendRequest got an ACK: ACKs for 2xx are end to end, send them statelessly */
  | 'ack_not_transactional'
  /** a client transaction with the same branch and method is already running */
  | 'duplicate_transaction'
  /** the layer was closed */
  | 'closed'
  /** tx.request was read after the transaction let go of it (it has its final response) */
  | 'request_released';

export class TransactionError extends Error {
  constructor(
    readonly code: TransactionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransactionError';
  }
}
