// Accounting keeps events for a while: the emitter buffers them (for long
// while the queue is unreachable), countingEmit keeps a count per call in
// setup, and on a single node the assembler keeps each open call's events
// for the call's whole life and the Call-IDs of the last 10,000 closed
// calls. The events' strings are read out of the INVITE and the BYE, i.e.
// slices of their whole texts: kept as given, each would keep its message
// alive. They are kept as copies (libs/strings); measured here as heap
// growth after a full collection.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { retainedHeapGrowth } from '../../test/harness/retained-heap.ts';
import { countingEmit } from './adapter.ts';
import { AccEmitter, type AccSink } from './emitter.ts';
import type { AccEventInput } from './events.ts';
import { LocalAssembler } from './local.ts';

const CALLS = 300;
/** what 300 calls' own entries may take; a kept 20 KB text per call would be 6 MB */
const BOUND = 1_000_000;

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function assembler(): LocalAssembler {
  const dir = mkdtempSync(join(tmpdir(), 'acc-retained-'));
  const a = new LocalAssembler({ file: join(dir, 'acc.jsonl'), expiry: { setupExpireMs: 3_600_000, dialogExpireMs: 3_600_000 } });
  cleanup.push(() => a.close(), () => rmSync(dir, { recursive: true, force: true }));
  return a;
}

function emitterTo(sink: AccSink): AccEmitter {
  const e = new AccEmitter({ node: 'n1', sink, flushMs: 3_600_000 });
  cleanup.push(() => e.close(10));
  return e;
}

/** a call's setup as the adapter emits it, every string a slice of a text of its own */
function setup(v: (i: number) => string, i: number): AccEventInput[] {
  return [
    { t: 'start', call: v(i), at: 1, from: v(i), fromTag: v(i), to: v(i), ruri: v(i), src: { ip: '192.0.2.10', port: 5060, proto: 'udp' } },
    { t: 'attempt', call: v(i), at: 2, n: 0, gw: v(i) },
  ];
}

function whole(v: (i: number) => string, i: number): AccEventInput[] {
  return [
    ...setup(v, i),
    { t: 'answered', call: v(i), at: 3, n: 0, status: 200 },
    { t: 'final', call: v(i), at: 3, status: 200, local: false },
    { t: 'ended', call: v(i), at: 4, by: 'caller', toTag: v(i) },
  ];
}

it('the assembler keeps open calls without their messages', async () => {
  const growth = await retainedHeapGrowth(async (v) => {
    const a = assembler();
    const e = emitterTo(a);
    for (let i = 0; i < CALLS; i++) for (const ev of setup(v, i)) e.emit(ev);
    await e.flush();
    expect(a.stats().open).toBe(CALLS);
    return a;
  });
  expect(growth).toBeLessThan(BOUND);
});

it('the assembler remembers closed calls without their messages', async () => {
  const growth = await retainedHeapGrowth(async (v) => {
    const a = assembler();
    const e = emitterTo(a);
    const emit = countingEmit((ev) => e.emit(ev));
    for (let i = 0; i < CALLS; i++) for (const ev of whole(v, i)) emit(ev);
    await e.flush();
    expect(a.stats()).toEqual({ open: 0, written: CALLS });
    return a;
  });
  expect(growth).toBeLessThan(BOUND);
});

it('events buffered while the sink is down keep no message alive', async () => {
  const growth = await retainedHeapGrowth(async (v) => {
    const e = emitterTo({ send: () => Promise.reject(new Error('queue unreachable')) });
    for (let i = 0; i < CALLS; i++) for (const ev of setup(v, i)) e.emit(ev);
    await e.flush();
    expect(e.bufferedCount()).toBe(2 * CALLS);
    return e;
  });
  expect(growth).toBeLessThan(BOUND);
});

it("countingEmit's per-call counts keep no INVITE alive", async () => {
  const growth = await retainedHeapGrowth((v) => {
    const emit = countingEmit(() => undefined);
    for (let i = 0; i < CALLS; i++) emit(setup(v, i)[0]);
    return emit;
  });
  expect(growth).toBeLessThan(BOUND);
});
