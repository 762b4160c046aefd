// Issue 20: a source sending only malformed requests is banned by pike like
// any flooder (sanity refuses them before the pike step, so they are counted
// where they are refused), and it is not answered once per packet: answers to
// malformed requests are rate-limited per source.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { optionsToSelf, RawSipPeer } from './sip-client.ts';

let node: SbcNodeHandle;

beforeAll(async () => {
  node = await startSbcNode({
    gateways: [{ host: '127.0.0.1', port: 9 }],
    config: { log: { level: 'warn' }, pike: { enabled: true, sampling_time_unit: 2000, reqs_density_per_unit: 30 } },
  });
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text);
  return Number(m?.[1] ?? 0);
}

it('400 requests with a bad CSeq: the source is banned, and answered far fewer than 400 times', async () => {
  const garbage = await RawSipPeer.open('udp', node.host, node.port, '127.0.0.50');
  const bystander = await RawSipPeer.open('udp', node.host, node.port, '127.0.0.51');
  const t0 = Date.now();
  try {
    for (let i = 0; i < 400; i++) {
      await garbage.send(Buffer.from([
        `OPTIONS sip:bob@${node.host}:${node.port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.50:${garbage.localPort};branch=z9hG4bK-g${i}-${t0};rport`,
        'Max-Forwards: 70',
        `From: <sip:g@127.0.0.50>;tag=g${i}`,
        `To: <sip:bob@${node.host}>`,
        `Call-ID: garbage-${i}-${t0}`,
        'CSeq: many OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n')));
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5)); // inside the socket buffers
    }
    await new Promise((r) => setTimeout(r, 300));
    const seconds = (Date.now() - t0) / 1000;
    // banned: the bans gate now drops even a well-formed request from it
    expect(await metric('sbc_pike_bans_total')).toBeGreaterThanOrEqual(1);
    const probe = optionsToSelf('udp', node.host, node.port, garbage.localPort);
    await garbage.send(probe.data);
    expect(await garbage.waitFor(probe.callId, 1000)).toBeUndefined();
    // answers: the per-source burst (20) and rate (10/s) at most, never one per packet
    const answered = garbage.rawInbox.filter((t) => t.startsWith('SIP/2.0 400 ')).length; // (raw: the answer copies the bad CSeq)
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(20 + Math.ceil(10 * seconds) + 1);
    expect(await metric('sbc_sip_malformed_unanswered_total')).toBeGreaterThan(0);
    // another source is still served
    const ok = optionsToSelf('udp', node.host, node.port, bystander.localPort);
    await bystander.send(ok.data);
    expect((await bystander.waitFor(ok.callId, 3000))?.status).toBe(200);
  } finally {
    garbage.close();
    bystander.close();
  }
}, 60_000);
