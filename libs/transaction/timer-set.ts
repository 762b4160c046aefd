// The named timers of one transaction. Starting a name again replaces it;
// stopAll() on termination guarantees nothing fires for a dead transaction.
import type { Clock, TimerHandle } from './clock.ts';
import type { TimerName } from './types.ts';

export class TimerSet {
  private readonly running = new Map<TimerName, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  start(name: TimerName, ms: number, fn: () => void): void {
    this.running.get(name)?.cancel();
    const handle = this.clock.setTimer(ms, () => {
      this.running.delete(name);
      fn();
    });
    this.running.set(name, handle);
  }

  stop(name: TimerName): void {
    const h = this.running.get(name);
    if (h === undefined) return;
    h.cancel();
    this.running.delete(name);
  }

  has(name: TimerName): boolean {
    return this.running.has(name);
  }

  names(): TimerName[] {
    return [...this.running.keys()];
  }

  stopAll(): void {
    for (const h of this.running.values()) h.cancel();
    this.running.clear();
  }
}
