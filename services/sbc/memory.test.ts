import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MIN_PEAK, startPostLoadCollector } from './memory.ts';

const g = globalThis as { gc?: () => void };

describe('post-load heap collection', () => {
  const realGc = g.gc;
  afterEach(() => {
    g.gc = realGc;
    vi.useRealTimers();
  });

  /** drives the collector through a series of live-transaction counts, one per check; returns how many collections ran */
  function run(series: number[]): number {
    vi.useFakeTimers();
    const gc = vi.fn();
    g.gc = gc;
    let live = 0;
    const collector = startPostLoadCollector({ live: () => live, logger: pino({ level: 'silent' }), everyMs: 100 });
    for (const n of series) {
      live = n;
      vi.advanceTimersByTime(100);
    }
    collector.stop();
    return gc.mock.calls.length;
  }

  it('collects once when a flood-size peak has subsided to a tenth', () => {
    expect(run([0, MIN_PEAK, 10_000, 4000, 900, 50, 0, 0])).toBe(1);
  });

  it('leaves the working set of ordinary load alone: 200 calls/s hold ~2,000 transactions, then a lull', () => {
    expect(run([0, 2400, 2300, 2500, 100, 0, 0, 2400, 0, 0])).toBe(0);
    expect(run([0, MIN_PEAK - 1, 0, 0])).toBe(0);
  });

  it('does nothing while load stays up, and again after a second flood', () => {
    expect(run([10_000, 9000, 8000, 2000])).toBe(0);
    expect(run([10_000, 500, 0, 0, 8000, 600, 0])).toBe(2);
  });

  it('is off without --expose-gc', () => {
    g.gc = undefined;
    const logger = pino({ level: 'silent' });
    const info = vi.spyOn(logger, 'info');
    startPostLoadCollector({ live: () => 0, logger }).stop();
    expect(info).toHaveBeenCalledWith(expect.stringContaining('--expose-gc'));
  });
});
