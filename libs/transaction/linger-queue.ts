// Transactions that have their final exchanged and only linger to absorb
// retransmissions (Timers I, J, K, L, M, D), oldest first. At the
// live-transaction limit the layer ends the oldest of them early rather than
// refuse a new request: they hold as much memory as a call in flight
// (docs/limits.md), but losing one costs at most a retransmission relayed
// again, where a refused request costs a call. Internal.

import type { LingeringTransaction } from './context.ts';

export class LingerQueue {
  // a Set iterates in insertion order; most transactions linger the same
  // wait_timer (or T4), so its first entry is about the one closest to its end
  private readonly entries = new Set<LingeringTransaction>();

  add(tx: LingeringTransaction): void {
    this.entries.add(tx);
  }

  /** (any ended transaction: one that never lingered is simply not there) */
  delete(tx: object): void {
    this.entries.delete(tx as LingeringTransaction);
  }

  /** Ends the oldest lingering transaction; false when none lingers. */
  reclaimOldest(): boolean {
    const first = this.entries.values().next();
    if (first.done === true) return false;
    this.entries.delete(first.value);
    first.value.reclaim();
    return true;
  }
}
