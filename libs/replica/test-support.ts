// Test helpers for the replica tests (not part of the public surface).
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';

export function quietLogger(): Logger {
  return pino({ level: 'silent' });
}

export function newRegistry(): Registry {
  return new Registry();
}

export { metricValue } from '../../test/harness/metrics.ts';

/** A promise with its resolver, to hold a fake store call open. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}
