// Test helpers shared by the bus and replica tests (not part of the public surface).
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';

/** A pino logger whose JSON lines are kept for assertions. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  return { logger, lines };
}

export function newRegistry(): Registry {
  return new Registry();
}

export { metricValue } from '../../test/harness/metrics.ts';
