// Up/down transitions of a backend, reported once per change.
import type { BackendStatus, Unsubscribe } from './types.ts';

export class StatusHub {
  private current: BackendStatus;
  private readonly listeners = new Set<(s: BackendStatus) => void>();
  private everUp = false;

  constructor(initial: BackendStatus) {
    this.current = initial;
    this.everUp = initial.up;
  }

  get(): BackendStatus {
    return this.current;
  }

  on(cb: (s: BackendStatus) => void): Unsubscribe {
    this.listeners.add(cb);
    return () => { this.listeners.delete(cb); };
  }

  up(): void {
    if (this.current.up) return;
    // A 'ready' after having been up before is a reconnect: consumers re-sync.
    this.current = { up: true, reconnect: this.everUp };
    this.everUp = true;
    this.emit();
  }

  down(error: Error): void {
    if (!this.current.up) {
      this.current = { up: false, error }; // keep the latest cause, no new event
      return;
    }
    this.current = { up: false, error };
    this.emit();
  }

  clear(): void {
    this.listeners.clear();
  }

  private emit(): void {
    const s = this.current;
    for (const cb of [...this.listeners]) {
      try { cb(s); } catch { /* a listener's bug must not break the backend */ }
    }
  }
}
