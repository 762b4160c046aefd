// One registry of the errors libs/state raises, so callers can choose
// fail-open or fail-closed by code instead of matching driver messages.

export const STATE_ERRORS = {
  STATE_BAD_NAME: 'a table name, dialog token or counter name has characters that would break the key layout',
  STATE_BAD_ARG: 'a TTL, count, version or increment is not a finite number in range',
  STATE_NOT_INTEGER: 'incr() on a table entry whose value is not an integer',
  STATE_UNAVAILABLE: 'the backend is unreachable or too slow (connection down, offline queue disabled, command timeout): apply the fail-open/closed policy',
  STATE_BACKEND: 'the backend answered with an unexpected error',
  STATE_CLOSED: 'the state was closed',
} as const;

export type StateErrorCode = keyof typeof STATE_ERRORS;

export class StateError extends Error {
  readonly code: StateErrorCode;
  constructor(code: StateErrorCode, detail: string, cause?: unknown) {
    super(`${code}: ${detail}`, cause === undefined ? undefined : { cause });
    this.name = 'StateError';
    this.code = code;
  }
}

export function isUnavailable(err: unknown): boolean {
  return err instanceof StateError && err.code === 'STATE_UNAVAILABLE';
}
