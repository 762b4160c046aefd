// tm.max_transactions counts the transactions that linger after their final
// (wait_timer) too. At the limit the node ends the oldest lingering ones early
// instead of answering new calls 503: a load whose lingering set alone is ten
// times the limit still completes every call.
import { expect, it } from 'vitest';
import { metric } from '../cluster/cluster-kit.ts';
import { runUac, startSbcNode, startUas } from '../sipp/index.ts';

it('carries 1000 calls at 100 calls/s with tm.max_transactions 100 (about 1000 server transactions would linger)', async () => {
  const gw = await startUas({ scenario: 'uas' });
  const n = await startSbcNode({ gateways: [gw], config: { log: { level: 'warn' }, tm: { max_transactions: 100, max_transactions_per_source: 100 } } });
  try {
    const r = await runUac({ target: `${n.host}:${n.port}`, calls: 1000, rate: 100, timeoutMs: 60_000 });
    expect(r.successful, r.errors || n.logTail()).toBe(1000);
    expect(r.failed).toBe(0);
    expect((await metric(n, 'sbc_sip_rejected_total', 'reason="overloaded"')) ?? 0).toBe(0);
    // INVITE and BYE each leave a server transaction lingering 5 s: most of them made room for later calls
    expect((await metric(n, 'sbc_tm_reclaimed_total', 'side="server"')) ?? 0).toBeGreaterThan(1000);
    expect((await metric(n, 'sbc_tm_transactions_active', 'side="server"')) ?? 0).toBeLessThanOrEqual(110); // the limit and the BYE reserve
  } finally {
    await n.stop();
    await gw.stop();
  }
}, 90_000);
