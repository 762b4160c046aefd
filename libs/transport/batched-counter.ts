// Per-message counting without prom-client's per-inc cost: a labelled child's
// inc() hashes and validates its label object on every call, a few times per
// SIP message. Here an increment is a plain `n++`; the counts are added to the
// prom-client children when the registry is read (the counter's collect hook),
// so scrapes see the same totals.
import type { Counter } from 'prom-client';

export interface Inc {
  inc(): void;
}

class Cell implements Inc {
  n = 0;
  inc(): void {
    this.n++;
  }
}

interface Pending {
  child: { inc(value: number): void };
  cell: Cell;
}

type Collectable = { collect?: () => unknown };

const pendingOf = new WeakMap<Counter<string>, Pending[]>();

function flush(list: Pending[]): void {
  for (const p of list) {
    if (p.cell.n === 0) continue;
    p.child.inc(p.cell.n);
    p.cell.n = 0;
  }
}

/** An increment for the child of `counter` with these label values, batched until the next scrape. */
export function batchedChild<T extends string>(counter: Counter<T>, ...labelValues: string[]): Inc {
  const child = counter.labels(...labelValues);
  let list = pendingOf.get(counter as Counter<string>);
  if (list === undefined) {
    const c = counter as unknown as Collectable;
    // a collect hook we did not install: keep it, count directly
    if (c.collect !== undefined) return { inc: () => child.inc() };
    const created: Pending[] = [];
    list = created;
    pendingOf.set(counter as Counter<string>, created);
    c.collect = () => flush(created);
  }
  const cell = new Cell();
  list.push({ child, cell });
  return cell;
}
