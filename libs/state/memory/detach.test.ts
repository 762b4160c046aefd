// The in-memory stores keep what they are given for minutes to hours (a
// call's load entry, a registration, a table row). A Call-ID, AoR or
// contact read out of a message is, in V8, a slice of the message's whole
// text: stored as given it would keep that text alive as long as the entry.
// They store copies; measured here as heap growth after a full collection.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, it } from 'vitest';
import { createMemoryData, createMemoryState, type SharedState } from '#libs/state';

// (a collection on demand, without starting the test process with --expose-gc)
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ENTRIES = 300;
/** each value comes out of a 20 KB "message" of its own: 6 MB of texts if the store kept them */
const TEXT_BYTES = 20_000;

/** a short value sliced out of a long text, as a parsed header value is */
function sliceOfMessage(i: number): string {
  const text = `${'x'.repeat(TEXT_BYTES)}${i}-5f2b9c1d8e@198.51.100.7${'y'.repeat(64)}`;
  return text.slice(TEXT_BYTES, TEXT_BYTES + String(i).length + 23);
}

async function heapGrowth(fill: (value: (i: number) => string) => Promise<void>): Promise<number> {
  gc();
  const before = process.memoryUsage().heapUsed;
  await fill(sliceOfMessage);
  gc();
  return process.memoryUsage().heapUsed - before;
}

const states: SharedState[] = [];
afterEach(async () => {
  for (const s of states.splice(0)) await s.close();
});

function state(): SharedState {
  const s = createMemoryState({ data: createMemoryData() });
  states.push(s);
  return s;
}

it.each([
  ['call load (Call-IDs)', async (s: SharedState, v: (i: number) => string) => { for (let i = 0; i < ENTRIES; i++) await s.callLoad.start('sip:gw1', v(i), 3_600_000); }],
  ['locations (AoRs and contact URIs)', async (s: SharedState, v: (i: number) => string) => { for (let i = 0; i < ENTRIES; i++) await s.locations.save(v(i), { uri: v(i), expiresMs: 3_600_000, callId: 'c', cseq: 1 }); }],
  ['tables (keys and values)', async (s: SharedState, v: (i: number) => string) => { for (let i = 0; i < ENTRIES; i++) await s.tables.set('t', v(i), v(i), 3_600_000); }],
] as const)('%s hold copies, not the texts they were sliced from', async (_name, fill) => {
  const s = state();
  const growth = await heapGrowth((v) => fill(s, v));
  // the entries themselves take tens of KB; pinned texts would be 6 MB (12 MB where two values of a text are kept)
  expect(growth).toBeLessThan(1_000_000);
});
