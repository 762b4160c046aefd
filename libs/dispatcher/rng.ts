// Randomness is injected (algorithms 6, 9, 11) so tests can seed it.

/** Returns a float in [0, 1). */
export type Rng = () => number;

/** mulberry32: small, fast, good enough for load spreading; deterministic for a seed. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [0, n). */
export function randomIndex(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/** In-place Fisher-Yates, as Kamailio shuffles its 100-slot weight tables. */
export function shuffle<T>(arr: T[], rng: Rng): T[] {
  for (let j = 0; j < arr.length - 1; j++) {
    const k = j + randomIndex(rng, arr.length - j);
    const t = arr[j];
    arr[j] = arr[k];
    arr[k] = t;
  }
  return arr;
}
