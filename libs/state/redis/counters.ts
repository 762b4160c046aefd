// Counter windows as one sorted set per window (member = key, score = count).
import type { Redis } from 'ioredis';
import type { CounterSink, WindowBatch } from '../counter-batch.ts';
import type { KeySpace } from '../keys.ts';
import type { CounterEntry } from '../types.ts';
import { call } from './errors.ts';
import { runScript } from './scripts.ts';

export function redisCounterSink(redis: Redis, keys: KeySpace, name: string, windowMs: number): CounterSink {
  const key = (windowId: number) => keys.counterWindow(name, windowMs, windowId);
  return {
    send(batches: WindowBatch[]) {
      return call(() => Promise.all(batches.map(async ({ windowId, deltas }) => {
        const args: (string | number)[] = [2 * windowMs];
        for (const [k, d] of deltas) args.push(k, d);
        // Issued in the same tick: auto-pipelining sends every window in one write.
        const totals = await runScript(redis, 'sbcCounterAdd', [key(windowId)], args) as string[];
        const out = new Map<string, number>();
        let i = 0;
        for (const k of deltas.keys()) out.set(k, Number(totals[i++]));
        return out;
      })));
    },
    total(windowId, k) {
      return call(async () => Number(await redis.zscore(key(windowId), k) ?? 0));
    },
    top(windowId, n) {
      return call(async () => {
        const flat = await redis.zrevrange(key(windowId), 0, n - 1, 'WITHSCORES');
        const out: CounterEntry[] = [];
        for (let i = 0; i < flat.length; i += 2) out.push({ key: flat[i], count: Number(flat[i + 1]) });
        return out;
      });
    },
  };
}
