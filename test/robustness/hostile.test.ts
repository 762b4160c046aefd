// Issue 2 "done when": hostile and malformed messages over UDP and TCP to a
// running node process; after each one the node must still answer an OPTIONS
// addressed to itself with 200, and answer the bad message as the case says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { HOSTILE_CASES } from './hostile-messages.ts';
import { optionsToSelf, RawSipPeer } from './sip-client.ts';

let node: SbcNodeHandle;

beforeAll(async () => {
  // The gateway address is never reached: every case is answered or dropped by the node.
  node = await startSbcNode({ gateways: [{ host: '127.0.0.1', port: 9 }], transport: 'tcp', config: { log: { level: 'warn' } } });
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

for (const proto of ['udp', 'tcp'] as const) {
  describe(`hostile messages over ${proto.toUpperCase()}`, () => {
    const cases = HOSTILE_CASES.filter((c) => c.only === undefined || c.only === proto);
    it('has at least 40 distinct cases', () => {
      expect(cases.length).toBeGreaterThanOrEqual(40);
    });

    cases.forEach((c, i) => {
      it(`${c.name}: answered as expected, node keeps serving`, async () => {
        // UDP: one socket for the bad message and the probe (replies arrive in order).
        // TCP: the bad message on its own connection (the node may close it), the probe on a fresh one.
        // Each case from its own loopback address: answers to malformed requests are rate-limited per source.
        const source = `127.0.${proto === 'udp' ? 10 : 11}.${i + 2}`;
        const peer = await RawSipPeer.open(proto, node.host, node.port, source);
        const prober = proto === 'udp' ? peer : await RawSipPeer.open(proto, node.host, node.port, source);
        try {
          await peer.send(c.build(proto.toUpperCase(), `${node.host}:${node.port}`));
          const probe = optionsToSelf(proto, node.host, node.port, prober.localPort);
          await prober.send(probe.data);
          const ok = await prober.waitFor(probe.callId);
          expect(ok?.status, `OPTIONS to self after "${c.name}"`).toBe(200);
          if (proto === 'tcp') await new Promise((r) => setTimeout(r, 50));
          const others = peer.inbox.filter((m) => m.callId() !== probe.callId).map((m) => m.status);
          if (c.expect === 'none') expect(others).toEqual([]);
          else if (typeof c.expect === 'number') expect(others).toContain(c.expect);
          // 'any': answered or dropped, both fine; the probe above is the check
        } finally {
          peer.close();
          if (prober !== peer) prober.close();
        }
      });
    });
  });
}

describe('after the hostile messages', () => {
  it('counted rejections by reason in sbc_sip_rejected_total', async () => {
    const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
    const counted = [...text.matchAll(/^sbc_sip_rejected_total\{reason="([a-z_]+)"[^}]*\} (\d+)/gm)].filter((m) => Number(m[2]) > 0).map((m) => m[1]);
    expect(counted.length).toBeGreaterThanOrEqual(5);
  });
});
