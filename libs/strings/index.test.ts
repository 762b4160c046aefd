import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { detachedCopy } from './index.ts';

// (a collection on demand, without starting the test process with --expose-gc)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

it('detachedCopy is the same string, and keeps nothing of the text it was sliced from', () => {
  const texts = Array.from({ length: 200 }, (_, i) => `${'x'.repeat(20_000)}call-${i}@198.51.100.7${'y'.repeat(100)}`);
  const slices = texts.map((t) => t.slice(20_000, t.indexOf('y')));
  texts.length = 0;
  expect(detachedCopy(slices[7])).toBe('call-7@198.51.100.7');
  gc();
  const pinned = process.memoryUsage().heapUsed;
  const copies = slices.map(detachedCopy);
  slices.length = 0;
  gc();
  // 200 slices pinned 4 MB of texts; their copies hold a few KB
  expect(pinned - process.memoryUsage().heapUsed).toBeGreaterThan(3_000_000);
  expect(copies).toHaveLength(200);
});
