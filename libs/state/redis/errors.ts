// Maps ioredis/Redis failures onto StateError codes (see ../errors.ts).
import { StateError } from '../errors.ts';

const UNAVAILABLE = /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|max retries|LOADING|NOAUTH|WRONGPASS|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|^MOVED |^ASK |Too many Cluster redirections|BUSY/;

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username/i;

/** Redis refused the credentials (wrong or missing password): retrying will not fix it, an operator must. */
export function isAuthFailure(message: string): boolean {
  return AUTH_FAILURE.test(message);
}

export function toStateError(err: unknown): StateError {
  if (err instanceof StateError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/not an integer or out of range/.test(msg)) return new StateError('STATE_NOT_INTEGER', msg, err);
  if (UNAVAILABLE.test(msg)) return new StateError('STATE_UNAVAILABLE', msg, err);
  return new StateError('STATE_BACKEND', msg, err);
}

/** Runs one backend call, rejecting with a StateError. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStateError(err);
  }
}

/** A URL safe to log: the password is replaced. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
