// Issue 4 "done when": real sipp callers and gateways through one SBC node
// process: round robin spread, 503 and silent-gateway failover, CANCEL before
// answer, over UDP and TCP.
import { afterEach, describe, expect, it } from 'vitest';
import {
  adminPost, runUac, startSbcNode, startSilentGateway, startUas,
  type SbcNodeHandle, type SbcNodeOptions, type SilentGateway, type UasHandle, type UasOptions,
} from '../sipp/index.ts';

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

async function uas(opts: UasOptions): Promise<UasHandle> {
  const h = await startUas(opts);
  running.push(h);
  return h;
}

async function silent(transport: 'udp' | 'tcp'): Promise<SilentGateway> {
  const h = await startSilentGateway({ transport });
  running.push(h);
  return h;
}

/** A node routing set 1 over the given gateways, in order, round robin (algorithm 4). */
async function node(gateways: { host: string; port: number }[], transport: 'udp' | 'tcp', extra: Record<string, unknown> = {}): Promise<SbcNodeHandle> {
  const t = transport === 'tcp' ? ';transport=tcp' : '';
  const opts: SbcNodeOptions = {
    gateways,
    transport,
    config: {
      log: { level: 'warn' },
      dispatcher: { sets: gateways.map((g) => ({ setid: 1, uri: `sip:${g.host}:${g.port}${t}` })), algorithm: 4, failover_timeout: 500, ...extra },
    },
  };
  const h = await startSbcNode(opts);
  running.push(h);
  return h;
}

const target = (n: SbcNodeHandle) => `${n.host}:${n.port}`;

for (const transport of ['udp', 'tcp'] as const) {
  describe(`calls through the node over ${transport.toUpperCase()}`, () => {
    it('completes every call, spread evenly over two gateways by round robin', async () => {
      const a = await uas({ scenario: 'uas', transport });
      const b = await uas({ scenario: 'uas', transport });
      const n = await node([a, b], transport);
      const calls = transport === 'udp' ? 200 : 100;
      const r = await runUac({ target: target(n), transport, calls, rate: 20, timeoutMs: 40_000 });
      expect(r.timedOut).toBe(false);
      expect(r.successful, r.errors || n.logTail()).toBe(calls);
      expect(r.failed).toBe(0);
      const [ca, cb] = [(await a.stop()).incoming, (await b.stop()).incoming];
      expect(ca + cb).toBe(calls);
      expect(Math.abs(ca - cb)).toBeLessThanOrEqual(2);
    });

    it('completes every call on the other gateway when one answers 503', async () => {
      const bad = await uas({ scenario: 'uas_503', transport });
      const good = await uas({ scenario: 'uas', transport });
      const n = await node([bad, good], transport);
      const r = await runUac({ target: target(n), transport, calls: 20, rate: 20, timeoutMs: 20_000 });
      expect(r.successful, r.errors || n.logTail()).toBe(20);
      expect(r.failed).toBe(0);
      expect((await good.stop()).incoming).toBe(20);
      // round robin sends every other call to the 503 gateway first
      expect((await bad.stop()).incoming).toBeGreaterThanOrEqual(9);
    });

    it('fails over from a silent gateway after the failover timeout', async () => {
      const mute = await silent(transport);
      const good = await uas({ scenario: 'uas', transport });
      const n = await node([mute, good], transport);
      const r = await runUac({ target: target(n), transport, calls: 6, rate: 10, timeoutMs: 20_000 });
      expect(r.successful, r.errors || n.logTail()).toBe(6);
      expect(r.failed).toBe(0);
      expect(mute.received()).toBeGreaterThanOrEqual(3);
      // the calls first sent to the silent gateway waited for the 500 ms branch timeout
      const slow = r.setupSamples.filter((ms) => ms >= 450);
      expect(slow.length).toBeGreaterThanOrEqual(3);
    });

    it('relays a CANCEL before answer: the gateway sees it and the caller gets 487', async () => {
      const ringing = await uas({ scenario: 'uas_ring', transport });
      const n = await node([ringing], transport);
      const r = await runUac({ scenario: 'uac_cancel', target: target(n), transport, calls: 5, rate: 10, timeoutMs: 20_000 });
      expect(r.successful, r.errors || n.logTail()).toBe(5);
      expect(r.failed).toBe(0);
      const g = await ringing.stop();
      expect(g.successful).toBe(5);
    });
  });
}

describe('no destination left', () => {
  it('answers 503 when every gateway fails, and 404 when the set has no usable destination', async () => {
    const bad = await uas({ scenario: 'uas_503' });
    const n = await node([bad], 'udp');
    const r = await runUac({ target: target(n), calls: 2, rate: 10, timeoutMs: 10_000 });
    expect(r.failed).toBe(2);
    const set = await fetch(`http://${n.host}:${n.httpPort}/admin/dispatcher.set_state`, adminPost(n, { state: 'd', group: 1, address: `sip:${bad.host}:${bad.port}` }));
    expect(set.status).toBe(200);
    const r2 = await runUac({ target: target(n), calls: 1, rate: 10, timeoutMs: 10_000 });
    expect(r2.failed).toBe(1);
    const metrics = await (await fetch(`http://${n.host}:${n.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/sbc_sip_rejected_total\{reason="no_destination"[^}]*\} 1/);
    expect(metrics).toMatch(/sbc_sip_replies_total\{class="5xx"[^}]*\} [1-9]/);
  });
});
