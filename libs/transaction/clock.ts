// Time source for transactions. Production uses setTimeout (unref'd, so
// pending SIP timers never keep a stopping process alive); tests use
// FakeClock (fake-clock.ts) and advance time by hand.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** milliseconds, monotonic enough for timer bookkeeping */
  now(): number;
  /** runs fn once after ms milliseconds unless cancelled */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
