// Coded bus errors: each message names what went wrong and how to fix it.
export type BusErrorCode =
  /** A cluster, config kind or table name is not a valid NATS subject token. */
  | 'BUS_BAD_TOKEN'
  /** The first connection to NATS failed (servers unreachable, timeout). */
  | 'BUS_CONNECT_FAILED';

export class BusError extends Error {
  readonly code: BusErrorCode;
  constructor(code: BusErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusError';
    this.code = code;
  }
}
