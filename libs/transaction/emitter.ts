// A small typed event emitter. A throwing listener must not break a state
// machine mid-transition, so listener errors go to listenerFailed() instead
// of propagating into timer callbacks or the receive path (a method, not a
// sink function passed in: one closure less per transaction).

type Listener<T> = (ev: T) => void;

/** no listeners: one shared empty array (never edited: see above), not two per transaction */
const NONE: readonly never[] = [];

export abstract class Emitter<E extends Record<string, unknown>> {
  // Listeners as two parallel arrays (event name, function) rather than an
  // object keyed by event name: every transaction has its own emitter, and
  // objects grown with varying keys made each lookup a megamorphic keyed
  // load. Arrays are replaced, never edited, when a listener goes, so emit()
  // walks a stable snapshot without copying it.
  private names: readonly (keyof E)[] = NONE;
  private fns: readonly Listener<never>[] = NONE;

  /** a listener threw while `event` was emitted */
  protected abstract listenerFailed(err: unknown, event: string): void;

  /** adds a listener (no unsubscribe function is made: the relay adds several per call and never removes one) */
  on<K extends keyof E>(name: K, fn: Listener<E[K]>): void {
    // copied, not pushed: a transaction has two or three listeners, and an
    // array grown by push keeps room for 17 (152 bytes) for as long as the
    // transaction lives (and an emit() in progress keeps walking its snapshot)
    // (concat allocates the exact length; a spread grows like push)
    this.names = this.names.concat([name]);
    this.fns = this.fns.concat([fn as Listener<never>]);
  }

  /** listeners of one event (tests check what a lingering transaction let go) */
  listenerCount(name: keyof E): number {
    let n = 0;
    for (const x of this.names) if (x === name) n++;
    return n;
  }

  /** removes a listener added with on() */
  off<K extends keyof E>(name: K, fn: Listener<E[K]>): void {
    for (let i = 0; i < this.fns.length; i++) {
      if (this.names[i] !== name || this.fns[i] !== fn) continue;
      this.names = this.names.filter((_, j) => j !== i);
      this.fns = this.fns.filter((_, j) => j !== i);
      return;
    }
  }

  protected emit<K extends keyof E>(name: K, ev: E[K]): void {
    const names = this.names;
    const fns = this.fns as Listener<E[K]>[];
    const n = names.length;
    for (let i = 0; i < n; i++) {
      if (names[i] !== name) continue;
      try {
        fns[i](ev);
      } catch (err) {
        this.listenerFailed(err, String(name));
      }
    }
  }

  /** drops every listener: a finished transaction must not pin its users' closures */
  protected removeAllListeners(): void {
    this.names = NONE;
    this.fns = NONE;
  }

  /** drops the listeners of every event but these (the only ones that can still be emitted) */
  protected keepListeners(events: readonly (keyof E)[]): void {
    let names: readonly (keyof E)[] = NONE;
    let fns: readonly Listener<never>[] = NONE;
    for (let i = 0; i < this.names.length; i++) {
      if (!events.includes(this.names[i])) continue;
      // (concat, as in on(): exact length; these arrays live as long as the transaction lingers)
      names = names.concat([this.names[i]]);
      fns = fns.concat([this.fns[i]]);
    }
    this.names = names;
    this.fns = fns;
  }
}
