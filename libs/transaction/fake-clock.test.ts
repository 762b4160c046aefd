import { describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock.ts';
import { TimerSet } from './timer-set.ts';

describe('FakeClock', () => {
  it('fires timers in due order, ties in creation order, and only when time reaches them', () => {
    const c = new FakeClock();
    const log: string[] = [];
    c.setTimer(200, () => log.push('b'));
    c.setTimer(100, () => log.push('a1'));
    c.setTimer(100, () => log.push('a2'));
    expect(c.advance(99)).toBe(0);
    expect(c.advance(1)).toBe(2);
    expect(log).toEqual(['a1', 'a2']);
    expect(c.now()).toBe(100);
    c.advance(500);
    expect(log).toEqual(['a1', 'a2', 'b']);
    expect(c.now()).toBe(600);
  });

  it('runs timers set by a firing timer inside the same advance window, at their own time', () => {
    const c = new FakeClock();
    const at: number[] = [];
    c.setTimer(10, () => {
      at.push(c.now());
      c.setTimer(10, () => at.push(c.now()));
    });
    c.advance(25);
    expect(at).toEqual([10, 20]);
  });

  it('cancel removes a timer; runAll drains and refuses an endless re-arming timer', () => {
    const c = new FakeClock();
    let fired = 0;
    const h = c.setTimer(5, () => fired++);
    h.cancel();
    expect(c.pending()).toBe(0);
    c.advance(10);
    expect(fired).toBe(0);
    const again = (): void => void c.setTimer(1, again);
    c.setTimer(1, again);
    expect(() => c.runAll(50)).toThrow(/re-arming/);
  });
});

describe('TimerSet', () => {
  it('restarting a name replaces it, a due timer calls its owner with its name, and stopAll leaves nothing pending', () => {
    const c = new FakeClock();
    const log: string[] = [];
    const t = new TimerSet(c, { timerFired: (name) => log.push(`${name}@${c.now()}`) });
    t.start('A', 100);
    t.start('A', 300);
    t.start('B', 50);
    c.advance(200);
    expect(log).toEqual(['B@50']);
    expect(t.names()).toEqual(['A']);
    c.advance(100);
    expect(log).toEqual(['B@50', 'A@300']);
    expect(t.names()).toEqual([]);
    t.start('C', 10);
    t.start('D', 20);
    t.stopAll();
    expect(c.pending()).toBe(0);
    c.advance(1000);
    expect(log).toEqual(['B@50', 'A@300']);
  });
});
