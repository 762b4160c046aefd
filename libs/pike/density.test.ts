import { describe, expect, it } from 'vitest';
import { BUCKETS, DensityTracker, shareAfter } from './density.ts';

const U = 1000;
const W = 1_700_000_000; // a window id

describe('DensityTracker', () => {
  it('uses the window count the counter reported, never letting it go down within a window', () => {
    const d = new DensityTracker(U);
    expect(d.observe('a', W * U + 10, 5).estimate).toBe(5);
    // an older flush answer arriving late reports less: ignored
    expect(d.observe('a', W * U + 20, 3).estimate).toBe(5);
    expect(d.observe('a', W * U + 30, 9).estimate).toBe(9);
  });

  it('weighs the previous window by where this node saw its requests', () => {
    const d = new DensityTracker(U);
    // previous window: 10 requests seen here in its last quarter, cluster total 40
    for (let i = 0; i < 10; i++) d.observe('a', W * U + 800 + i * 10, 4 * (i + 1));
    // next window at 0.5: everything of the previous one after 0.5 still counts
    expect(d.observe('a', (W + 1) * U + 500, 1).estimate).toBe(41);
    // at 0.9: of the local requests, 8 sit in bucket 6 (0.75-0.875, gone) and
    // 2 in bucket 7 (0.875-1, read as spread: 80% of it after 0.9)
    expect(d.observe('a', (W + 1) * U + 900, 2).estimate).toBeCloseTo(2 + 40 * (2 * 0.8) / 10, 10);
  });

  it('reads the previous window as evenly spread when this node saw none of it', () => {
    const local = new Array<number>(2 * BUCKETS).fill(0);
    expect(shareAfter(local, 0.25)).toBe(0.75);
    local[BUCKETS] = 3;
    local[BUCKETS + BUCKETS - 1] = 1;
    expect(shareAfter(local, 0)).toBe(1);
    expect(shareAfter(local, 0.5)).toBe(0.25);
    expect(shareAfter(local, 1 / 16)).toBeCloseTo((1.5 + 1) / 4, 10);
  });

  it('starts from nothing after a quiet window and prunes sources of older windows', () => {
    const d = new DensityTracker(U);
    d.observe('a', W * U + 100, 30);
    d.observe('b', (W + 1) * U + 100, 1);
    expect(d.observe('a', (W + 2) * U + 100, 1).estimate).toBe(1);
    expect(d.prune((W + 3) * U + 1)).toBe(1); // b (window W+1) goes; a (W+2) stays
    expect(d.get('b')).toBeUndefined();
    expect(d.size).toBe(1);
  });

  it('learns the final total of a finished window, raising the estimate only', () => {
    const d = new DensityTracker(U);
    d.observe('a', W * U + 900, 20); // seen here late in window W
    d.learnFinal('a', W, 28); // not yet seen in W+1: raises the count of W
    expect(d.get('a')!.cur).toBe(28);
    d.observe('b', W * U + 900, 20);
    d.observe('b', (W + 1) * U + 100, 1);
    d.learnFinal('b', W, 27); // already rolled: raises prev
    d.learnFinal('b', W, 5);
    expect(d.get('b')!.prev).toBe(27);
    d.learnFinal('b', W - 3, 99); // too old: ignored
    d.learnFinal('unknown', W, 99);
    expect(d.get('b')).toMatchObject({ cur: 1, prev: 27 });
    expect(d.get('unknown')).toBeUndefined();
  });

  it('keeps a source whose ban write is in flight', () => {
    const d = new DensityTracker(U);
    d.observe('a', W * U, 1).rec.banning = true;
    expect(d.prune((W + 5) * U)).toBe(0);
  });
});
