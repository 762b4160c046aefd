// What a long-lived structure keeps of the texts its strings came from. A
// value parsed out of a message is, in V8, usually a slice of the message's
// whole text; a structure that stores it as given keeps the whole text alive
// (libs/strings' detachedCopy is the fix). Tests feed such slices and read the
// heap's growth after a full collection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// (a collection on demand, without starting the test process with --expose-gc)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** each slice comes out of a text of its own this long: ENTRIES x TEXT_BYTES if a structure kept them */
export const TEXT_BYTES = 20_000;

/** a short value sliced out of a 20 KB text of its own, as a parsed header value is */
export function sliceOfMessage(i: number): string {
  const text = `${'x'.repeat(TEXT_BYTES)}${i}-5f2b9c1d8e@198.51.100.7${'y'.repeat(64)}`;
  return text.slice(TEXT_BYTES, TEXT_BYTES + String(i).length + 23);
}

/**
 * Heap bytes still held, after a full collection, once `fill` has run with
 * sliceOfMessage. `fill` returns what it filled: it is kept alive until
 * after the measurement.
 */
export async function retainedHeapGrowth(fill: (value: (i: number) => string) => unknown): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = await fill(sliceOfMessage);
  gc();
  const growth = process.memoryUsage().heapUsed - before;
  void kept;
  return growth;
}
