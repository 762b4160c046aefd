// Hybrid logical clock for write versions: close to wall-clock ms (so versions
// from different nodes compare sensibly), strictly increasing per node, and
// never behind any version this node has seen (so a node that just received
// version v writes > v even if its own clock is a little behind).
export class VersionClock {
  private last = 0;
  constructor(private readonly now: () => number = Date.now) {}

  /** A new version, greater than every version issued or observed so far. */
  next(): number {
    const t = Math.max(Math.floor(this.now()), this.last + 1);
    this.last = t;
    return t;
  }

  /** Moves the clock past a version seen from another node. */
  observe(version: number): void {
    if (version > this.last) this.last = version;
  }
}

/** Orders two writes to the same key: version first, node id breaks ties so
 *  every node picks the same winner. Positive when a is newer. */
export function compareWrites(a: { version: number; origin: string }, b: { version: number; origin: string }): number {
  if (a.version !== b.version) return a.version - b.version;
  return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
}
