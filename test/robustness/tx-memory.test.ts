// Issue 20: memory per transaction. A call in flight (an INVITE relayed to a
// gateway that has not answered: a server and a client transaction, the
// relay) must hold the bytes a retransmission needs, not parsed messages.
// Measured in a child process with forced collections (bench/tx-memory.ts,
// test/harness/tx-memory.ts): bytes, not time, so the figure is the same on
// a busy machine. docs/limits.md gives the figure and sizes the Helm chart
// from it; before the transactions kept bytes it was 15.5 KB per call.
// An ended call's four transactions linger seconds more for retransmissions
// (wait timer, T4): what they hold is copied by every young collection in
// that time, so it is bounded too (8.0 KB before lingering transactions let
// their listeners go and timers, keys and emitters stopped holding closures
// and message texts; 12.8 KB with topoh, 15.3 KB with topos).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import type { TxMemoryResult } from '#test/harness/tx-memory';

/** docs/limits.md: JS heap plus ArrayBuffers per call in flight (measured 7.1 KB on Node 20) */
const BYTES_PER_CALL_BOUND = 11_000;
/** docs/limits.md: the same per ended call whose transactions linger (measured 4.3 KB on Node 20) */
const BYTES_PER_ENDED_CALL_BOUND = 5_500;
/** with topoh (measured 5.2 KB; 12.8 KB when the relay kept the request for hiding 2xx retransmissions and topoh's caches pinned message texts) */
const BYTES_PER_ENDED_TOPOH_CALL_BOUND = 6_500;
/** with topos and the in-memory dialog store, its record included (measured 6.9 KB; 15.3 KB when the relay kept the request and dialog records pinned the INVITE and 200 texts) */
const BYTES_PER_ENDED_TOPOS_CALL_BOUND = 8_500;

const REPO = join(import.meta.dirname, '../..');

async function measure(...args: string[]): Promise<TxMemoryResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/tx-memory.ts', '--calls', '10000', ...args, '--json'], { cwd: REPO, timeout: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop() as string) as TxMemoryResult;
}

// batch 1: node:dgram (each datagram its own buffer); 64: batched UDP, where
// each message is a view into the buffer of its whole recvmmsg batch (45 KB
// per call were kept alive that way before the relayed request got its own copy)
it.each([1, 64])('a call in flight holds under 11 KB (JS heap and buffers, after a full collection), %i datagrams per receive buffer', async (batch) => {
  const r = await measure('--batch', String(batch));
  // every INVITE still in flight: one server and one client transaction each (plus the warm-up's)
  expect(r.transactions).toBeGreaterThanOrEqual(2 * r.calls);
  const perCall = r.heapPerCall + r.externalPerCall;
  expect(perCall).toBeGreaterThan(0);
  expect(perCall, `${Math.round(r.heapPerCall)} B heap + ${Math.round(r.externalPerCall)} B buffers`).toBeLessThan(BYTES_PER_CALL_BOUND);
}, 150_000);

it.each([
  { hiding: 'none', flags: [], bound: BYTES_PER_ENDED_CALL_BOUND },
  { hiding: 'topoh', flags: ['--topoh'], bound: BYTES_PER_ENDED_TOPOH_CALL_BOUND },
  { hiding: 'topos', flags: ['--topos'], bound: BYTES_PER_ENDED_TOPOS_CALL_BOUND },
])('an ended call whose transactions linger holds under its bound (JS heap and buffers, after a full collection), hiding $hiding', async ({ flags, bound }) => {
  const r = await measure('--ended', ...flags);
  expect(r.kind).toBe('ended');
  // every call ran to the BYE's 200, and none of its four transactions is past its wait timer yet (plus the warm-up's)
  expect(r.sentPerCall).toBe(7);
  expect(r.transactions).toBeGreaterThanOrEqual(4 * r.calls);
  const perCall = r.heapPerCall + r.externalPerCall;
  expect(perCall).toBeGreaterThan(0);
  expect(perCall, `${Math.round(r.heapPerCall)} B heap + ${Math.round(r.externalPerCall)} B buffers`).toBeLessThan(bound);
}, 150_000);
