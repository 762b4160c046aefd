// A small typed event emitter. A throwing listener must not break a state
// machine mid-transition, so listener errors go to an error sink instead of
// propagating into timer callbacks or the receive path.

type Listener<T> = (ev: T) => void;

export type ListenerErrorSink = (err: unknown, event: string) => void;

export class Emitter<E extends Record<string, unknown>> {
  private listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};

  constructor(private readonly onListenerError: ListenerErrorSink) {}

  /** adds a listener; returns a function that removes it */
  on<K extends keyof E>(name: K, fn: Listener<E[K]>): () => void {
    const list = (this.listeners[name] ??= []);
    list.push(fn);
    return () => {
      const cur = this.listeners[name];
      if (cur === undefined) return;
      const i = cur.indexOf(fn);
      if (i >= 0) cur.splice(i, 1);
    };
  }

  protected emit<K extends keyof E>(name: K, ev: E[K]): void {
    const list = this.listeners[name];
    if (list === undefined || list.length === 0) return;
    for (const fn of [...list]) {
      try {
        fn(ev);
      } catch (err) {
        this.onListenerError(err, String(name));
      }
    }
  }

  /** drops every listener: a finished transaction must not pin its users' closures */
  protected removeAllListeners(): void {
    this.listeners = {};
  }
}
