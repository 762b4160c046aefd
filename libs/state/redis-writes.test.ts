// Writes per call on one Redis server: what one turn of the event loop sends
// leaves in one write (the hot path's INVITE: the dispatcher pin and the
// topos dialog record), counted by the server itself (INFO stats
// total_reads_processed: one read per client write).
import { Redis } from 'ioredis';
import { afterEach, expect, inject, it } from 'vitest';
import { uniqueName } from '../../test/harness/index.ts';
import { createRedisState } from './redis/index.ts';
import type { SharedState } from './types.ts';

let state: SharedState | undefined;
let probe: Redis | undefined;
afterEach(async () => {
  await state?.close();
  probe?.disconnect();
});

/** The server's read events caused by `work` (the probe's own INFO excluded). */
async function readsOf(work: () => Promise<unknown>): Promise<number> {
  const reads = async () => Number(/total_reads_processed:(\d+)/.exec(await probe!.info('stats'))![1]);
  const before = await reads();
  await work();
  return (await reads()) - before - 1;
}

it('sends the calls of one turn in one write, and a call of a later turn in a write of its own', async () => {
  const url = inject('redisUrl');
  probe = new Redis(url);
  const s = await createRedisState({ url, cluster: uniqueName('writes') });
  state = s;
  await s.leases.claim('ds-pin', 'warm', 'x', 1000); // the connection is up and idle
  // a dispatched INVITE through topos: the pin and the dialog record (2 SETs) in the same turn
  const invite = () => Promise.all([
    s.leases.claim('ds-pin', 'call-1 z9hG4bK-1', 'sip:10.0.0.1:5060', 32_000),
    s.dialogs.put('tok1', { v: 1 }, { branchExpireMs: 32_000, dialogExpireMs: 32_000, branch: { branchId: 'inv-1', data: { vias: [] } } }),
  ]);
  expect(await readsOf(invite)).toBe(1);
  // one after the other: two writes
  expect(await readsOf(async () => {
    await s.dialogs.get('tok1');
    await s.dialogs.get('tok1');
  })).toBe(2);
  expect(await s.dialogs.get('tok1')).toEqual({ v: 1 });
  expect(await s.leases.claim('ds-pin', 'call-1 z9hG4bK-1', 'sip:10.0.0.2:5060', 32_000)).toBe('sip:10.0.0.1:5060');
});
