// Time source for transactions. Production uses setTimeout (unref'd, so
// pending SIP timers never keep a stopping process alive); tests use
// FakeClock (fake-clock.ts) and advance time by hand.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** milliseconds, monotonic enough for timer bookkeeping */
  now(): number;
  /**
   * Runs fn(arg) once after ms milliseconds unless cancelled. A shared
   * function and an argument rather than a closure per timer: a call arms a
   * dozen timers, and a closure (with its context) lives as long as its timer.
   */
  setTimer<A>(ms: number, fn: (arg: A) => void, arg?: A): TimerHandle;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn, arg) {
    const t = setTimeout(fn, ms, arg as Parameters<typeof fn>[0]);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
