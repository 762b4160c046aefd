// The production Clock: SIP timers in one FIFO queue per duration, behind a
// single unref'd Node timer armed for the earliest due entry.
//
// Why not a setTimeout per SIP timer: a call starts about 14 transaction
// timers and cancels 10 of them; each setTimeout allocates a Timeout, reads
// the libuv clock and toggles the loop's ref count twice (it is unref'd),
// which was ~7% of the proxy's JavaScript. Transactions use a handful of
// fixed durations (T1, 64*T1, T4, wait timer, fr timers), and timers of one
// duration fall due in the order they were started, so each queue is a
// doubly-linked list: start appends, cancel unlinks (nothing dead is kept
// alive), and the due ones are always at the heads.
//
// Due times are rounded up so timers falling due together run in one
// wake-up: SIP timers tolerate being a little late, never early. Short ones
// (retransmissions, T1 = 500 ms) to 4 ms; those of a second or more (the
// wait timers that end every finished transaction, 64*T1, fr timers) to
// 50 ms, so the stream of them under load wakes the loop 20 times a second
// rather than at every tick.
import type { Clock, TimerHandle } from './clock.ts';

const SHORT_RESOLUTION_MS = 4;
const LONG_RESOLUTION_MS = 50;
const LONG_TIMER_MS = 1000;

class QueuedTimer implements TimerHandle {
  prev: QueuedTimer | null = null;
  next: QueuedTimer | null = null;
  constructor(
    readonly at: number,
    public fn: ((arg: unknown) => void) | null,
    public arg: unknown,
    public queue: DurationQueue | null,
  ) {}

  cancel(): void {
    this.queue?.unlink(this);
    this.fn = null;
    this.arg = undefined;
  }
}

class DurationQueue {
  head: QueuedTimer | null = null;
  tail: QueuedTimer | null = null;

  append(t: QueuedTimer): void {
    t.prev = this.tail;
    if (this.tail === null) this.head = t;
    else this.tail.next = t;
    this.tail = t;
  }

  unlink(t: QueuedTimer): void {
    if (t.prev === null) this.head = t.next;
    else t.prev.next = t.next;
    if (t.next === null) this.tail = t.prev;
    else t.next.prev = t.prev;
    t.prev = null;
    t.next = null;
    t.queue = null;
  }
}

export class TimerQueues implements Clock {
  private readonly queues = new Map<number, DurationQueue>();
  /** the same queues, for the scans in runDue */
  private readonly queueList: DurationQueue[] = [];
  /** the Node timer and the time it is armed for (Infinity = not armed) */
  private wakeup: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private readonly onWakeup = (): void => this.runDue();

  now(): number {
    return performance.now();
  }

  setTimer<A>(ms: number, fn: (arg: A) => void, arg?: A): TimerHandle {
    const delay = ms > 0 ? ms : 0;
    let queue = this.queues.get(delay);
    if (queue === undefined) {
      queue = new DurationQueue();
      this.queues.set(delay, queue);
      this.queueList.push(queue);
    }
    // one rounding per duration keeps each queue in due order
    const resolution = delay >= LONG_TIMER_MS ? LONG_RESOLUTION_MS : SHORT_RESOLUTION_MS;
    const at = Math.ceil((performance.now() + delay) / resolution) * resolution;
    const timer = new QueuedTimer(at, fn as (arg: unknown) => void, arg, queue);
    queue.append(timer);
    if (at < this.armedAt) this.arm(at);
    return timer;
  }

  /** timers started and neither fired nor cancelled (tests, admin) */
  pending(): number {
    let n = 0;
    for (const q of this.queueList) for (let t = q.head; t !== null; t = t.next) n++;
    return n;
  }

  private arm(at: number): void {
    if (this.wakeup !== undefined) clearTimeout(this.wakeup);
    this.armedAt = at;
    this.wakeup = setTimeout(this.onWakeup, Math.max(0, at - performance.now()));
    // pending SIP timers never keep a stopping process alive
    this.wakeup.unref();
  }

  private runDue(): void {
    this.wakeup = undefined;
    this.armedAt = Infinity;
    const now = performance.now();
    // due timers run in due order across queues; a timer's fn may start or cancel others, so look afresh each time
    for (let t = this.earliest(); t !== null && t.at <= now; t = this.earliest()) {
      const fn = t.fn;
      const arg = t.arg;
      t.queue?.unlink(t);
      t.fn = null;
      t.arg = undefined;
      try {
        fn?.(arg);
      } catch (err) {
        // as with setTimeout, a throwing timer is an uncaught exception; the other due timers still run
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    const next = this.earliest();
    if (next !== null && next.at < this.armedAt) this.arm(next.at);
  }

  /** the first timer to fall due: the earliest head (a few queues, one per duration in use) */
  private earliest(): QueuedTimer | null {
    let first: QueuedTimer | null = null;
    for (const queue of this.queueList) {
      const head = queue.head;
      if (head !== null && (first === null || head.at < first.at)) first = head;
    }
    return first;
  }
}
