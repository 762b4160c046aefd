// Issue 5 "done when": a REGISTER flood from one source, sent with sipp over
// three nodes at once, is banned cluster-wide while a legitimate phone keeps
// registering. Prints the figures (sent, answered, dropped, time to ban).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runUac, startUas, type SbcNodeHandle, type UasHandle } from '../sipp/index.ts';
import { uniqueName } from '../harness/index.ts';
import { admin, metric, startClusterNode } from './cluster-kit.ts';

const cluster = uniqueName('regflood').replace(/[^A-Za-z0-9_-]/g, '_');
const nodes: SbcNodeHandle[] = [];
let registrar: UasHandle;
const FLOODER = '127.0.0.60';
const PHONE = '127.0.0.61';

beforeAll(async () => {
  registrar = await startUas({ scenario: 'uas_register' });
  const config = {
    pike: { enabled: true, sampling_time_unit: '1s', reqs_density_per_unit: 20, ban_time: '60s', flush_interval: '100ms' },
    dispatcher: { sets: [{ setid: 1, uri: `sip:${registrar.host}:${registrar.port}` }] },
  };
  nodes.push(...(await Promise.all(['r1', 'r2', 'r3'].map((id) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl'), config })))));
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await registrar?.stop();
});

const banned = async (n: SbcNodeHandle, ip: string) => ((await admin(n, 'htable.dump', { table: 'ipban' })) as { key: string }[]).some((e) => e.key === ip);

describe('REGISTER flood with sipp over three nodes', () => {
  it('bans the flooder on every node and keeps serving a legitimate phone', async () => {
    const t0 = Date.now();
    let banAfterMs: number | undefined;
    let polling = true;
    const poll = (async () => {
      while (polling && banAfterMs === undefined) {
        if (await banned(nodes[0], FLOODER)) banAfterMs = Date.now() - t0;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // 3 x 15/s = 45 REGISTER/s from one address against a density of 20 per 1 s unit (2.25x)
    const floods = nodes.map((n) => runUac({ scenario: 'uac_register', target: `${n.host}:${n.port}`, localHost: FLOODER, rate: 15, calls: 60, service: 'flood', timeoutMs: 20_000, traceMessages: false }));
    const phone = runUac({ scenario: 'uac_register', target: `${nodes[1].host}:${nodes[1].port}`, localHost: PHONE, rate: 2, calls: 8, service: 'phone', timeoutMs: 20_000, traceMessages: false });
    const [results, legit] = await Promise.all([Promise.all(floods), phone]);
    polling = false;
    await poll;

    const sent = results.reduce((s, r) => s + r.attempted, 0);
    const answered = results.reduce((s, r) => s + r.successful, 0);
    let dropped = 0;
    for (const n of nodes) dropped += ((await metric(n, 'sbc_sip_rejected_total', 'reason="banned"')) ?? 0) + ((await metric(n, 'sbc_sip_rejected_total', 'reason="flood"')) ?? 0);
    console.log(`[register flood] REGISTERs sent ${sent} (3 sipp x 15/s from ${FLOODER}), answered ${answered}, dropped by the nodes ${dropped} (retransmissions included), ban visible on node 1 after ${banAfterMs} ms; legitimate phone: ${legit.successful}/${legit.attempted} registered`);

    expect(banAfterMs).toBeDefined();
    expect(banAfterMs!).toBeLessThan(2500);
    expect(answered).toBeLessThan(sent / 2);
    expect(dropped).toBeGreaterThan(sent / 2);
    for (const n of nodes) expect(await banned(n, FLOODER)).toBe(true);
    expect(legit.successful).toBe(legit.attempted);
    for (const n of nodes) expect(await banned(n, PHONE)).toBe(false);
  });
});
