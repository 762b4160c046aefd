// tm.max_transactions counts the transactions that linger after their final
// (wait_timer) too. At the limit the node ends the oldest lingering ones early
// instead of answering new calls 503: a load whose lingering set alone is ten
// times the limit still completes every call.
import { expect, it } from 'vitest';
import { runUac, startSbcNode, startUas } from '../sipp/index.ts';

/** the value of the series `name` whose labels include `label` (e.g. side="server") */
async function metric(n: { host: string; httpPort: number }, name: string, label: string): Promise<number> {
  const text = await (await fetch(`http://${n.host}:${n.httpPort}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return found === undefined ? 0 : Number(found.slice(found.lastIndexOf(' ') + 1));
}

it('carries 1000 calls at 100 calls/s with tm.max_transactions 100 (about 1000 server transactions would linger)', async () => {
  const gw = await startUas({ scenario: 'uas' });
  const n = await startSbcNode({ gateways: [gw], config: { log: { level: 'warn' }, tm: { max_transactions: 100, max_transactions_per_source: 100 } } });
  try {
    const r = await runUac({ target: `${n.host}:${n.port}`, calls: 1000, rate: 100, timeoutMs: 60_000 });
    expect(r.successful, r.errors || n.logTail()).toBe(1000);
    expect(r.failed).toBe(0);
    expect(await metric(n, 'sbc_sip_rejected_total', 'reason="overloaded"')).toBe(0);
    // INVITE and BYE each leave a server transaction lingering 5 s: most of them made room for later calls
    expect(await metric(n, 'sbc_tm_reclaimed_total', 'side="server"')).toBeGreaterThan(1000);
    expect(await metric(n, 'sbc_tm_transactions_active', 'side="server"')).toBeLessThanOrEqual(110); // the limit and the BYE reserve
  } finally {
    await n.stop();
    await gw.stop();
  }
}, 90_000);
