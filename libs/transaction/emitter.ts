// A small typed event emitter. A throwing listener must not break a state
// machine mid-transition, so listener errors go to an error sink instead of
// propagating into timer callbacks or the receive path.

type Listener<T> = (ev: T) => void;

export type ListenerErrorSink = (err: unknown, event: string) => void;

export class Emitter<E extends Record<string, unknown>> {
  // Listeners as two parallel arrays (event name, function) rather than an
  // object keyed by event name: every transaction has its own emitter, and
  // objects grown with varying keys made each lookup a megamorphic keyed
  // load. Arrays are replaced, never edited, when a listener goes, so emit()
  // walks a stable snapshot without copying it.
  private names: (keyof E)[] = [];
  private fns: Listener<never>[] = [];

  constructor(private readonly onListenerError: ListenerErrorSink) {}

  /** adds a listener (no unsubscribe function is made: the relay adds several per call and never removes one) */
  on<K extends keyof E>(name: K, fn: Listener<E[K]>): void {
    // copied, not pushed: a transaction has two or three listeners, and an
    // array grown by push keeps room for 17 (152 bytes) for as long as the
    // transaction lives (and an emit() in progress keeps walking its snapshot)
    // (concat allocates the exact length; a spread grows like push)
    this.names = this.names.concat([name]);
    this.fns = this.fns.concat([fn as Listener<never>]);
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
        this.onListenerError(err, String(name));
      }
    }
  }

  /** drops every listener: a finished transaction must not pin its users' closures */
  protected removeAllListeners(): void {
    this.names = [];
    this.fns = [];
  }
}
