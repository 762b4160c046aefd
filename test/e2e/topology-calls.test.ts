// sipp calls (INVITE/180/200/ACK/BYE, the caller's ACK and BYE along the
// route set) complete through a node in each topology-hiding mode.
import { afterEach, describe, expect, it } from 'vitest';
import { runUac, startSbcNode, startUas, type SbcNodeHandle, type UasHandle } from '../sipp/index.ts';

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

const TOPOLOGY = {
  topoh: { mode: 'topoh', mask_key: 'a-test-mask-key-of-32-characters', mask_callid: true, sdp: 'origin' },
  topos: { mode: 'topos', mask_callid: true, sdp: 'origin' },
} as const;

for (const transport of ['udp', 'tcp'] as const) {
  for (const mode of ['topoh', 'topos'] as const) {
    describe(`${mode} over ${transport.toUpperCase()}`, () => {
      it('carries sipp calls end to end', async () => {
        const gw: UasHandle = await startUas({ scenario: 'uas', transport });
        running.push(gw);
        const n: SbcNodeHandle = await startSbcNode({ gateways: [gw], transport, config: { log: { level: 'warn' }, topology: TOPOLOGY[mode] } });
        running.push(n);
        const r = await runUac({ target: `${n.host}:${n.port}`, transport, calls: 20, rate: 20, timeoutMs: 20_000 });
        expect(r.successful, r.errors || n.logTail()).toBe(20);
        expect(r.failed).toBe(0);
        expect((await gw.stop()).incoming).toBe(20);
      });
    });
  }
}
