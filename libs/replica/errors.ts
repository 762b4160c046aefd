// Coded replica errors: each message says what went wrong and how to fix it.
export type ReplicaErrorCode =
  /** The table or config could not be loaded from the store at start. */
  | 'REPLICA_LOAD_FAILED'
  /** A ttlMs that is not a positive integer. */
  | 'REPLICA_BAD_ARG'
  /** apply() lost the version race against other nodes too many times in a row. */
  | 'REPLICA_CONFIG_CONFLICT'
  /** Used after close(). */
  | 'REPLICA_CLOSED';

export class ReplicaError extends Error {
  readonly code: ReplicaErrorCode;
  constructor(code: ReplicaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicaError';
    this.code = code;
  }
}
