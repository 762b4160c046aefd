// The embedded single-node backend: plain maps, an injectable clock for fast
// TTL tests, and one unref'd cleanup timer stopped by close().
import { BatchingCounter } from '../counter-batch.ts';
import { StateError } from '../errors.ts';
import { StatusHub } from '../status.ts';
import type { CounterOptions, SharedState } from '../types.ts';
import { memoryCallLoad } from './call-load.ts';
import { memoryConfig } from './config.ts';
import { memoryCounterSink } from './counters.ts';
import { createMemoryData, sweep, type MemoryData } from './data.ts';
import { memoryDialogs } from './dialogs.ts';
import { memoryLeases } from './leases.ts';
import { memoryLocations } from './locations.ts';
import { memoryTables } from './tables.ts';

export interface MemoryStateOptions {
  /** Shown in SharedState.cluster; default "local". */
  cluster?: string;
  /** Clock in ms; default Date.now. */
  now?: () => number;
  /** Share one MemoryData between instances to simulate several nodes. */
  data?: MemoryData;
  /** How often expired entries are swept (reads never see them anyway). Default 1000 ms. */
  cleanupIntervalMs?: number;
}

export function createMemoryState(opts: MemoryStateOptions = {}): SharedState {
  const now = opts.now ?? Date.now;
  const data = opts.data ?? createMemoryData();
  const hub = new StatusHub({ up: true, reconnect: false });
  const counters = new Set<BatchingCounter>();
  const sweeper = setInterval(() => sweep(data, now()), opts.cleanupIntervalMs ?? 1000);
  sweeper.unref();
  let closed = false;

  return {
    backend: 'memory',
    cluster: opts.cluster ?? 'local',
    counters(name: string, copts: CounterOptions) {
      if (closed) throw new StateError('STATE_CLOSED', `counters(${name}) after close()`);
      const c = new BatchingCounter(name, copts, memoryCounterSink(data, name, copts.windowMs, now), now);
      counters.add(c);
      return c;
    },
    tables: memoryTables(data, now),
    dialogs: memoryDialogs(data, now),
    callLoad: memoryCallLoad(data, now),
    leases: memoryLeases(data, now),
    locations: memoryLocations(data, now),
    config: memoryConfig(data),
    status: () => hub.get(),
    onStatus: (cb) => hub.on(cb),
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      await Promise.all([...counters].map((c) => c.close()));
      hub.clear();
    },
  };
}

export { createMemoryData, type MemoryData } from './data.ts';
