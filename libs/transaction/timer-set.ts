// The named timers of one transaction. Starting a name again replaces it;
// stopAll() on termination guarantees nothing fires for a dead transaction.
// A transaction has at most four timers armed at once, so two short parallel
// arrays scanned by identity beat a Map (one less hash table per transaction).
// The arrays start as four-slot literals with a count beside them: an empty
// array grown by push gets room for 17 (152 bytes each, two per transaction,
// two transactions per call in flight); beyond four they grow as usual.
import type { Clock, TimerHandle } from './clock.ts';
import type { TimerName } from './types.ts';

export class TimerSet {
  private readonly runningNames: (TimerName | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly handles: (TimerHandle | undefined)[] = [undefined, undefined, undefined, undefined];
  /** slots in use: [0, n) */
  private n = 0;

  constructor(private readonly clock: Clock) {}

  start(name: TimerName, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = this.clock.setTimer(ms, () => {
      this.forget(handle);
      fn();
    });
    const i = this.n++;
    this.runningNames[i] = name;
    this.handles[i] = handle;
  }

  stop(name: TimerName): void {
    const i = this.slotOf(name);
    if (i < 0) return;
    (this.handles[i] as TimerHandle).cancel();
    this.removeAt(i);
  }

  has(name: TimerName): boolean {
    return this.slotOf(name) >= 0;
  }

  names(): TimerName[] {
    return this.runningNames.slice(0, this.n) as TimerName[];
  }

  stopAll(): void {
    const n = this.n;
    this.n = 0;
    for (let i = 0; i < n; i++) {
      (this.handles[i] as TimerHandle).cancel();
      this.handles[i] = undefined;
      this.runningNames[i] = undefined;
    }
  }

  private slotOf(name: TimerName): number {
    const names = this.runningNames;
    for (let i = 0; i < this.n; i++) if (names[i] === name) return i;
    return -1;
  }

  private forget(handle: TimerHandle): void {
    const handles = this.handles;
    for (let i = 0; i < this.n; i++) {
      if (handles[i] === handle) {
        this.removeAt(i);
        return;
      }
    }
  }

  private removeAt(i: number): void {
    const last = --this.n;
    this.runningNames[i] = this.runningNames[last];
    this.handles[i] = this.handles[last];
    // (cleared: a fired or stopped timer's closure must not stay reachable)
    this.runningNames[last] = undefined;
    this.handles[last] = undefined;
  }
}
