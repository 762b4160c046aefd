// The named timers of one transaction. Starting a name again replaces it;
// stopAll() on termination guarantees nothing fires for a dead transaction.
// A transaction has at most four timers armed at once, so one short array
// of (name, handle) pairs scanned by identity beats a Map (one less hash
// table per transaction). The array starts as an eight-slot literal with a
// count beside it: an empty array grown by push gets room for 17 (152 bytes,
// per transaction, four transactions per call); beyond four pairs it grows
// as usual.
//
// A timer that falls due calls its owner's timerFired(name): the clock gets
// one shared function per name (FIRE) and this set as its argument, so an
// armed timer holds no closure of its own. A finished call's transactions
// linger seconds with a timer each, and every young collection copied those
// closures and their contexts.
import type { Clock, TimerHandle } from './clock.ts';
import type { TimerName } from './types.ts';

/** what runs when one of the set's timers falls due */
export interface TimerOwner {
  timerFired(name: TimerName): void;
}

/** one function per timer name, shared by every set (made on first use) */
const FIRE = new Map<TimerName, (set: TimerSet) => void>();

function fireFor(name: TimerName): (set: TimerSet) => void {
  let fn = FIRE.get(name);
  if (fn === undefined) FIRE.set(name, (fn = (set: TimerSet) => set.fired(name)));
  return fn;
}

export class TimerSet {
  /** [name, handle] pairs in slots [0, 2n) */
  private readonly slots: (TimerName | TimerHandle | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined];
  /** pairs in use */
  private n = 0;

  constructor(
    private readonly clock: Clock,
    private readonly owner: TimerOwner,
  ) {}

  /** arms `name` (replacing it if armed): owner.timerFired(name) after ms */
  start(name: TimerName, ms: number): void {
    this.stop(name);
    const handle = this.clock.setTimer(ms, fireFor(name), this);
    const i = 2 * this.n++;
    this.slots[i] = name;
    this.slots[i + 1] = handle;
  }

  stop(name: TimerName): void {
    const i = this.slotOf(name);
    if (i < 0) return;
    (this.slots[i + 1] as TimerHandle).cancel();
    this.removeAt(i);
  }

  has(name: TimerName): boolean {
    return this.slotOf(name) >= 0;
  }

  names(): TimerName[] {
    const out: TimerName[] = [];
    for (let i = 0; i < 2 * this.n; i += 2) out.push(this.slots[i] as TimerName);
    return out;
  }

  stopAll(): void {
    const end = 2 * this.n;
    this.n = 0;
    for (let i = 0; i < end; i += 2) {
      (this.slots[i + 1] as TimerHandle).cancel();
      this.slots[i] = undefined;
      this.slots[i + 1] = undefined;
    }
  }

  /** the clock ran `name`'s timer (one name is armed at most once: start replaces) */
  fired(name: TimerName): void {
    const i = this.slotOf(name);
    if (i < 0) return; // (a stopped timer never runs; nothing to do if one did)
    this.removeAt(i);
    this.owner.timerFired(name);
  }

  /** index of name's pair, or -1 */
  private slotOf(name: TimerName): number {
    const slots = this.slots;
    for (let i = 0; i < 2 * this.n; i += 2) if (slots[i] === name) return i;
    return -1;
  }

  /** the last pair moves into the freed one */
  private removeAt(i: number): void {
    const last = 2 * --this.n;
    const slots = this.slots;
    slots[i] = slots[last];
    slots[i + 1] = slots[last + 1];
    // (cleared: a fired or stopped timer's handle must not stay reachable)
    slots[last] = undefined;
    slots[last + 1] = undefined;
  }
}
