// A deterministic Clock for tests (here and in the proxy's tests): time only
// moves when advance()/runAll() is called, timers fire in (due time, creation)
// order, and timers set by a firing timer run too if they fall in the window.
import type { Clock, TimerHandle } from './clock.ts';

interface Entry {
  at: number;
  seq: number;
  fn: (arg: unknown) => void;
  arg: unknown;
  live: boolean;
}

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  /** sorted by (at, seq) */
  private queue: Entry[] = [];

  now(): number {
    return this.t;
  }

  setTimer<A>(ms: number, fn: (arg: A) => void, arg?: A): TimerHandle {
    const e: Entry = { at: this.t + Math.max(0, ms), seq: this.seq++, fn: fn as (arg: unknown) => void, arg, live: true };
    // binary insertion keeps (at, seq) order
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.queue[mid];
      if (m.at < e.at || (m.at === e.at && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, e);
    return {
      cancel: () => {
        if (!e.live) return;
        e.live = false;
        const i = this.queue.indexOf(e);
        if (i >= 0) this.queue.splice(i, 1);
      },
    };
  }

  /** live timers not yet fired */
  pending(): number {
    return this.queue.length;
  }

  /** due time of the next timer, or undefined */
  nextAt(): number | undefined {
    return this.queue[0]?.at;
  }

  /** moves time forward by ms, firing every timer due on the way; returns how many fired */
  advance(ms: number): number {
    const end = this.t + ms;
    let fired = 0;
    for (;;) {
      const e = this.queue[0];
      if (e === undefined || e.at > end) break;
      this.queue.shift();
      e.live = false;
      this.t = e.at;
      fired++;
      e.fn(e.arg);
    }
    this.t = end;
    return fired;
  }

  /** fires timers until none is left; throws past maxTimers (a timer that re-arms forever) */
  runAll(maxTimers = 100_000): number {
    let fired = 0;
    while (this.queue.length > 0) {
      if (fired >= maxTimers) throw new Error(`FakeClock.runAll: more than ${maxTimers} timers fired; a timer keeps re-arming`);
      const next = this.queue[0].at;
      fired += this.advance(next - this.t);
    }
    return fired;
  }
}
