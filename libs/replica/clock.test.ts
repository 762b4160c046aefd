import { describe, expect, it } from 'vitest';
import { compareWrites, VersionClock } from './clock.ts';

describe('VersionClock', () => {
  it('follows the wall clock when it moves', () => {
    let t = 1000;
    const c = new VersionClock(() => t);
    expect(c.next()).toBe(1000);
    t = 2000;
    expect(c.next()).toBe(2000);
  });
  it('is strictly increasing within one ms and when the wall clock steps back', () => {
    let t = 1000;
    const c = new VersionClock(() => t);
    const a = c.next();
    const b = c.next();
    t = 500;
    const d = c.next();
    expect([a, b, d]).toEqual([1000, 1001, 1002]);
  });
  it('never issues a version at or below one it observed', () => {
    const c = new VersionClock(() => 1000);
    c.observe(5000);
    expect(c.next()).toBe(5001);
    c.observe(10); // older: no effect
    expect(c.next()).toBe(5002);
  });
});

describe('compareWrites', () => {
  it('newer version wins; equal versions are ordered by node id', () => {
    expect(compareWrites({ version: 2, origin: 'a' }, { version: 1, origin: 'z' })).toBeGreaterThan(0);
    expect(compareWrites({ version: 1, origin: 'a' }, { version: 1, origin: 'b' })).toBeLessThan(0);
    expect(compareWrites({ version: 1, origin: 'b' }, { version: 1, origin: 'b' })).toBe(0);
  });
});
