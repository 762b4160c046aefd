// Test helpers for the replica tests (not part of the public surface).
import { pino, type Logger } from 'pino';
import { Registry, type Counter } from 'prom-client';

export function quietLogger(): Logger {
  return pino({ level: 'silent' });
}

export function newRegistry(): Registry {
  return new Registry();
}

/** Current value of one labelled series of a counter or gauge (0 when absent). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name) as Counter<string> | undefined;
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return hit?.value ?? 0;
}

/** A promise with its resolver, to hold a fake store call open. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => { open = r; });
  return { promise, open };
}
