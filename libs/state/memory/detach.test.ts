// The in-memory stores keep what they are given for minutes to hours (a
// call's load entry, a registration, a table row, a claimed nonce). A Call-ID, AoR or
// contact read out of a message is, in V8, a slice of the message's whole
// text: stored as given it would keep that text alive as long as the entry.
// They store copies; measured here as heap growth after a full collection.
import { afterEach, expect, it } from 'vitest';
import { createMemoryData, createMemoryState, type SharedState } from '#libs/state';
import { retainedHeapGrowth } from '../../../test/harness/retained-heap.ts';

const ENTRIES = 300;

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
  ['lease claims (names such as an auth nonce and nc)', async (s: SharedState, v: (i: number) => string) => { for (let i = 0; i < ENTRIES; i++) await s.leases.claim('nc', v(i), v(i), 3_600_000); }],
  ['lease groups (members and lease names)', async (s: SharedState, v: (i: number) => string) => { for (let i = 0; i < ENTRIES; i++) await s.leases.sync('g', v(i), [v(i)], [], 3_600_000); }],
] as const)('%s hold copies, not the texts they were sliced from', async (_name, fill) => {
  const s = state();
  const growth = await retainedHeapGrowth((v) => fill(s, v));
  // the entries themselves take tens of KB; pinned texts would be 6 MB (12 MB where two values of a text are kept)
  expect(growth).toBeLessThan(1_000_000);
});
