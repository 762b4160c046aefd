import { describe, expect, it } from 'vitest';
import { TimerQueues } from './timer-queues.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TimerQueues (production clock)', () => {
  it('fires each timer once, never early, in due order across durations', async () => {
    const clock = new TimerQueues();
    const fired: [string, number][] = [];
    const t0 = clock.now();
    const start = (name: string, ms: number) => clock.setTimer(ms, () => fired.push([name, clock.now() - t0]));
    start('c30', 30);
    start('a10', 10);
    start('b20', 20);
    start('a10bis', 10);
    start('zero', 0);
    await sleep(80);
    expect(fired.map(([n]) => n)).toEqual(['zero', 'a10', 'a10bis', 'b20', 'c30']);
    const due: Record<string, number> = { zero: 0, a10: 10, a10bis: 10, b20: 20, c30: 30 };
    for (const [name, at] of fired) expect(at).toBeGreaterThanOrEqual(due[name] - 0.5);
    expect(clock.pending()).toBe(0);
  });

  it('a cancelled timer never fires and is dropped at once', async () => {
    const clock = new TimerQueues();
    let fired = 0;
    const first = clock.setTimer(10, () => fired++);
    const middle = clock.setTimer(10, () => fired++);
    clock.setTimer(10, () => fired++);
    middle.cancel();
    first.cancel();
    first.cancel(); // idempotent
    expect(clock.pending()).toBe(1);
    await sleep(40);
    expect(fired).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('runs timers started from a firing timer, including ones due earlier than those pending', async () => {
    const clock = new TimerQueues();
    const order: string[] = [];
    // 'long' is far enough out that a loaded machine firing 'first' late still has 'chained' due before it
    clock.setTimer(400, () => order.push('long'));
    clock.setTimer(5, () => {
      order.push('first');
      clock.setTimer(5, () => order.push('chained'));
    });
    while (order.length < 3) await sleep(10);
    expect(order).toEqual(['first', 'chained', 'long']);
  });

  it('a throwing timer does not stop the others due with it', async () => {
    const clock = new TimerQueues();
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    process.prependListener('uncaughtException', onError);
    try {
      let ran = false;
      clock.setTimer(5, () => {
        throw new Error('boom');
      });
      clock.setTimer(5, () => {
        ran = true;
      });
      await sleep(30);
      expect(ran).toBe(true);
      expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    } finally {
      process.removeListener('uncaughtException', onError);
    }
  });
});

describe('TimerQueues after a stall', () => {
  it('runs every overdue timer in due order, whatever queue it is in', async () => {
    const clock = new TimerQueues();
    const order: string[] = [];
    clock.setTimer(30, () => order.push('c30'));
    clock.setTimer(10, () => order.push('a10'));
    clock.setTimer(20, () => order.push('b20'));
    // block the event loop past every due time: one wake-up then finds all three overdue
    const until = performance.now() + 40;
    while (performance.now() < until) { /* busy on purpose: a stalled loop */ }
    await sleep(20);
    expect(order).toEqual(['a10', 'b20', 'c30']);
  });
});

describe('TimerQueues rounding', () => {
  it('timers of a second or more are rounded up to 50 ms, never early', async () => {
    const clock = new TimerQueues();
    const t0 = clock.now();
    const at: number[] = [];
    clock.setTimer(1000, () => at.push(clock.now() - t0));
    await sleep(2);
    clock.setTimer(1000, () => at.push(clock.now() - t0));
    await sleep(1150);
    expect(at).toHaveLength(2);
    expect(at[0]).toBeGreaterThanOrEqual(1000);
    expect(at[1]).toBeGreaterThanOrEqual(1002);
  });
});
