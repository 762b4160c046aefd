// A trunk sends every call from one address: with the default limits
// (tm.max_transactions_per_source counts unanswered transactions only), one
// sipp source at 200 calls/s loses no call. Counting the answered ones that
// linger for retransmissions dropped about a quarter of them silently.
import { expect, it } from 'vitest';
import { runUac, startSbcNode, startUas } from '../sipp/index.ts';

it('carries 3000 calls at 200 calls/s from one source address with the default limits', async () => {
  const gw = await startUas({ scenario: 'uas' });
  const n = await startSbcNode({ gateways: [gw], config: { log: { level: 'warn' } } });
  try {
    const r = await runUac({ target: `${n.host}:${n.port}`, calls: 3000, rate: 200, timeoutMs: 60_000 });
    expect(r.successful, r.errors || n.logTail()).toBe(3000);
    expect(r.failed).toBe(0);
  } finally {
    await n.stop();
    await gw.stop();
  }
}, 90_000);
