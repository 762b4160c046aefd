// Counter windows kept in MemoryData (sink for BatchingCounter).
import type { CounterSink, WindowBatch } from '../counter-batch.ts';
import type { CounterEntry } from '../types.ts';
import { live, type MemoryData } from './data.ts';

export function memoryCounterSink(data: MemoryData, name: string, windowMs: number, now: () => number): CounterSink {
  const keyOf = (windowId: number) => `${name}:${windowMs}:${windowId}`;
  const window = (windowId: number) => {
    const e = data.counters.get(keyOf(windowId));
    return live(e, now()) ? e.value : undefined;
  };
  return {
    async send(batches: WindowBatch[]) {
      return batches.map(({ windowId, deltas }) => {
        const key = keyOf(windowId);
        let e = data.counters.get(key);
        if (!live(e, now())) { e = { value: new Map(), expiresAt: null }; data.counters.set(key, e); }
        e.expiresAt = now() + 2 * windowMs; // same rule as the Redis PEXPIRE per flush
        const totals = new Map<string, number>();
        for (const [k, d] of deltas) {
          const t = (e.value.get(k) ?? 0) + d;
          e.value.set(k, t);
          totals.set(k, t);
        }
        return totals;
      });
    },
    async total(windowId, key) {
      return window(windowId)?.get(key) ?? 0;
    },
    async top(windowId, n): Promise<CounterEntry[]> {
      const w = window(windowId);
      if (!w) return [];
      // Same order as ZREVRANGE: score desc, then member desc.
      return [...w].map(([key, count]) => ({ key, count }))
        .sort((a, b) => b.count - a.count || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))
        .slice(0, n);
    },
  };
}
