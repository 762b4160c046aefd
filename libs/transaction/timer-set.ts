// The named timers of one transaction. Starting a name again replaces it;
// stopAll() on termination guarantees nothing fires for a dead transaction.
// A transaction has at most four timers armed at once, so two short parallel
// arrays scanned by identity beat a Map (one less hash table per transaction).
import type { Clock, TimerHandle } from './clock.ts';
import type { TimerName } from './types.ts';

export class TimerSet {
  private readonly runningNames: TimerName[] = [];
  private readonly handles: TimerHandle[] = [];

  constructor(private readonly clock: Clock) {}

  start(name: TimerName, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = this.clock.setTimer(ms, () => {
      this.forget(handle);
      fn();
    });
    this.runningNames.push(name);
    this.handles.push(handle);
  }

  stop(name: TimerName): void {
    const i = this.runningNames.indexOf(name);
    if (i < 0) return;
    this.handles[i].cancel();
    this.removeAt(i);
  }

  has(name: TimerName): boolean {
    return this.runningNames.includes(name);
  }

  names(): TimerName[] {
    return [...this.runningNames];
  }

  stopAll(): void {
    for (const h of this.handles) h.cancel();
    this.runningNames.length = 0;
    this.handles.length = 0;
  }

  private forget(handle: TimerHandle): void {
    const i = this.handles.indexOf(handle);
    if (i >= 0) this.removeAt(i);
  }

  private removeAt(i: number): void {
    const last = this.handles.length - 1;
    this.runningNames[i] = this.runningNames[last];
    this.handles[i] = this.handles[last];
    this.runningNames.length = last;
    this.handles.length = last;
  }
}
