// After a flood the JS heap holds the garbage of tens of thousands of ended
// transactions, and an idle node allocates too little for V8 to collect it:
// heap and RSS stay at their flood size (issue 20: 364 MB 60 s after, with no
// live transaction; a heap snapshot after a forced collection showed it was
// garbage, not a leak). When the live transactions fall to a tenth of their
// recent peak, the node asks for one full collection (node --expose-gc, which
// npm start, the container and the test harness pass). Nothing runs under
// steady load, and one collection after a flood costs a few tens of ms.
//
// Only a flood-size peak earns it. Memory given back is memory the next calls
// fault in again, and on a VM that reports free guest memory to its host each
// of those faults is dear: after a lull, a node's first seconds cost 2-3x its
// steady CPU per call (docs/benchmarks.md, "What an idle spell costs"). So a
// node that carried ordinary load keeps its working set through a lull, as
// Kamailio keeps its shared memory pool; for the same reason the node runs
// with --no-memory-reducer (V8's own idle-time collections).
import type { Logger } from 'pino';

export interface PostLoadCollector {
  stop(): void;
}

/**
 * peaks below this many live transactions are ordinary load, not a flood worth
 * a collection: ~90 MB of transactions (docs/limits.md: 18 MB per 1,000), half
 * the default tm.max_transactions; 200 calls/s hold ~2,000 (INVITE and BYE
 * lingering 5 s each).
 */
export const MIN_PEAK = 5000;

export function startPostLoadCollector(opts: { live: () => number; logger: Logger; everyMs?: number }): PostLoadCollector {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    opts.logger.info('post-load heap collection off: node runs without --expose-gc');
    return { stop() {} };
  }
  let peak = 0;
  const timer = setInterval(() => {
    const now = opts.live();
    if (now > peak) peak = now;
    if (peak >= MIN_PEAK && now * 10 <= peak) {
      const before = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      gc();
      opts.logger.info({ peakTransactions: peak, liveTransactions: now, heapMbBefore: Math.round(before / 1048576), heapMbAfter: Math.round(process.memoryUsage().heapUsed / 1048576), ms: Math.round(performance.now() - t0) }, 'load subsided: heap collected');
      peak = now;
    }
  }, opts.everyMs ?? 5000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
