// BatchingCounter on a sink that can be told to fail: what pike sees while
// Redis is away (local counting continues, deltas are retried, not lost).
import { describe, expect, it } from 'vitest';
import { BatchingCounter, type CounterSink } from './counter-batch.ts';
import { StateError } from './errors.ts';
import type { FlushResult } from './types.ts';

function sink() {
  const store = new Map<string, number>();
  let failing = false;
  let calls = 0;
  const s: CounterSink = {
    async send(batches) {
      calls++;
      if (failing) throw new StateError('STATE_UNAVAILABLE', 'down');
      return batches.map((b) => {
        const out = new Map<string, number>();
        for (const [k, d] of b.deltas) {
          const key = `${b.windowId}/${k}`;
          store.set(key, (store.get(key) ?? 0) + d);
          out.set(k, store.get(key)!);
        }
        return out;
      });
    },
    async total(w, k) { return store.get(`${w}/${k}`) ?? 0; },
    async top() { return []; },
  };
  return { s, fail: (v: boolean) => { failing = v; }, calls: () => calls };
}

describe('BatchingCounter', () => {
  it('keeps failed deltas of the current window for the next flush', async () => {
    const t = 10_000;
    const { s, fail } = sink();
    const c = new BatchingCounter('pike', { windowMs: 1000, flushIntervalMs: 60_000 }, s, () => t);
    const seen: FlushResult[] = [];
    c.onFlush((r) => seen.push(r));
    c.add('ip', 3);
    fail(true);
    await expect(c.flush()).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
    expect(seen[0]).toMatchObject({ ok: false, keys: 1 });
    expect(c.pending()).toBe(1);
    expect(c.add('ip')).toBe(4);
    fail(false);
    expect((await c.flush()).get('ip')).toBe(4);
    await c.close();
  });

  it('drops failed deltas of a window that is over', async () => {
    let t = 10_000;
    const { s, fail } = sink();
    const c = new BatchingCounter('pike', { windowMs: 1000, flushIntervalMs: 60_000 }, s, () => t);
    c.add('ip', 3);
    t += 1000;
    fail(true);
    await expect(c.flush()).rejects.toBeInstanceOf(StateError);
    expect(c.pending()).toBe(0);
    await c.close();
  });

  it('sends old-window deltas to their own window and reports the newest', async () => {
    let t = 10_000;
    const { s, calls } = sink();
    const c = new BatchingCounter('pike', { windowMs: 1000, flushIntervalMs: 60_000 }, s, () => t);
    c.add('ip', 2);
    t += 1000;
    c.add('ip', 5);
    expect(await c.flush()).toEqual(new Map([['ip', 5]]));
    expect(calls()).toBe(1);
    expect(await s.total(10, 'ip')).toBe(2);
    await c.close();
  });

  it('flushes pending deltas once on close and then stops its timer', async () => {
    const { s, calls } = sink();
    const c = new BatchingCounter('pike', { windowMs: 1000, flushIntervalMs: 5 }, s, () => 10_000);
    await c.close();
    expect(calls()).toBe(0);
    const d = new BatchingCounter('pike', { windowMs: 1000, flushIntervalMs: 60_000 }, s, () => 10_000);
    d.add('x');
    await d.close();
    expect(await s.total(10, 'x')).toBe(1);
  });
});
