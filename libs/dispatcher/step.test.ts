import { describe, expect, it } from 'vitest';
import { settleStep, type RequestContext } from '#libs/proxy';
import type { Step, StepVerdict } from '#libs/pipeline';
import { parseMessage, type SipMessage } from '#libs/sip';
import { createMemoryState } from '#libs/state';
import { seededRng } from './rng.ts';
import { DispatcherState } from './state.ts';
import { dispatchStep, failoverPolicyOf, selectContextOf } from './step.ts';
import { setsFromList } from './test-helpers.ts';
import type { AlgorithmId } from './types.ts';

const LIST = ['1 sip:10.0.0.1:5060', '1 sip:10.0.0.2:5060', '1 sip:10.0.0.3:5060', '1 sip:10.0.0.4:5060', '1 sip:10.0.0.5:5060'].join('\n');

function invite(i: number, auth: boolean): SipMessage {
  const lines = [
    `INVITE sip:user${i}@example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-${i}`,
    `From: "A" <sip:alice${i}@example.com>;tag=a${i}`,
    `To: <sip:bob${i * 7}@example.com>`,
    `Call-ID: call-${i}@example.com`,
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    ...(auth ? [`Proxy-Authorization: Digest username="user${i * 3}", realm="x", nonce="n", uri="sip:x", response="r"`] : []),
    'Content-Length: 0',
  ];
  const r = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`));
  if (!r.ok) throw new Error(r.error.detail);
  return r.msg;
}

function ctxOf(msg: SipMessage): RequestContext {
  return { msg, hops: [], inDialog: false, tx: {}, recordRoute: false } as unknown as RequestContext;
}

/** The step, then what the proxy's settle step waits for (the pin), as before the relay. */
async function runSettled(step: Step<RequestContext>, ctx: RequestContext): Promise<StepVerdict> {
  const v = await step.run(ctx);
  return v === 'next' ? settleStep().run(ctx) : v;
}

describe('dispatchStep', () => {
  it('chooses by the same request fields as selectContextOf for every hashing algorithm', () => {
    for (const algorithm of [0, 1, 2, 3, 5, 8] as AlgorithmId[]) {
      const stepState = new DispatcherState(setsFromList(LIST));
      const refState = new DispatcherState(setsFromList(LIST));
      const failover = failoverPolicyOf({ failover_codes: [503, 'timeout'], failover_timeout: 2000 });
      const step = dispatchStep({ state: stepState, setId: 1, algorithm, failover });
      for (let i = 0; i < 40; i++) {
        const msg = invite(i, i % 2 === 0);
        const ctx = ctxOf(msg);
        expect(step.run(ctx)).toBe('next');
        const expected = refState.select(1, algorithm, selectContextOf(msg)).map((d) => d.uri);
        expect(ctx.hops.map((h) => h.label)).toEqual(expected);
        // the step hands the relay its failover policy (failover_codes, failover_timeout)
        expect(ctx.failover).toBe(failover);
      }
    }
  });

  it('goes round robin without reading the request', () => {
    const step = dispatchStep({ state: new DispatcherState(setsFromList(LIST)), setId: 1, algorithm: 4 });
    const firsts = Array.from({ length: 5 }, (_, i) => {
      const ctx = ctxOf(invite(i, false));
      step.run(ctx);
      return ctx.hops[0].target.host;
    });
    expect(firsts).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
  });

  it('pins per-node choices (4, 6, 9, 11, 13) so a retransmission on another node goes to the same destination', async () => {
    const store = createMemoryState();
    const pin = (key: string, uri: string) => store.leases.claim('ds-pin', key, uri, 32_000);
    const W = ['1 sip:10.0.0.1:5060 0 0 weight=50;rweight=50', '1 sip:10.0.0.2:5060 0 0 weight=30;rweight=30', '1 sip:10.0.0.3:5060 0 0 weight=20;rweight=20'].join('\n');
    for (const algorithm of [4, 6, 9, 11, 13] as AlgorithmId[]) {
      const a = dispatchStep({ state: new DispatcherState(setsFromList(W), { rng: seededRng(1) }), setId: 1, algorithm, pin });
      const b = dispatchStep({ state: new DispatcherState(setsFromList(W), { rng: seededRng(2) }), setId: 1, algorithm, pin });
      let differentWithoutPin = 0;
      const unpinned = dispatchStep({ state: new DispatcherState(setsFromList(W), { rng: seededRng(3) }), setId: 1, algorithm });
      unpinned.run(ctxOf(invite(9999, false))); // this node has handled one more call than node a: its cursors differ
      for (let i = 0; i < 30; i++) {
        const msg = invite(i + 100 * algorithm, false);
        const first = ctxOf(msg);
        const retrans = ctxOf(msg);
        // the step does not wait for the pin (the settle step does, with the topos record in the same write)
        expect(a.run(first)).toBe('next');
        expect(first.pending).toHaveLength(1);
        await settleStep().run(first);
        await runSettled(b, retrans);
        expect(retrans.hops[0].label, `algorithm ${algorithm} call ${i}`).toBe(first.hops[0].label);
        const u = ctxOf(msg);
        unpinned.run(u);
        if (u.hops[0].label !== first.hops[0].label) differentWithoutPin++;
      }
      if (algorithm !== 13) expect(differentWithoutPin, `algorithm ${algorithm} differs per node without a pin`).toBeGreaterThan(0);
    }
    await store.close();
  });
});

describe('failoverPolicyOf', () => {
  it('reads failover_codes (statuses and "timeout") and failover_timeout', () => {
    const p = failoverPolicyOf({ failover_codes: [500, 503, 'timeout'], failover_timeout: 3000 });
    expect([...p.codes]).toEqual([500, 503]);
    expect(p.onTimeout).toBe(true);
    expect(p.branchTimeoutMs).toBe(3000);
    expect(failoverPolicyOf({ failover_codes: [503], failover_timeout: 500 }).onTimeout).toBe(false);
  });

  it('uses its own choice when the pin cannot be taken (Redis away)', async () => {
    const step = dispatchStep({ state: new DispatcherState(setsFromList(LIST)), setId: 1, algorithm: 4, pin: () => Promise.reject(new Error('STATE_UNAVAILABLE')) });
    const ctx = ctxOf(invite(1, false));
    expect(await runSettled(step, ctx)).toBe('next');
    expect(ctx.hops[0].target.host).toBe('10.0.0.1');
  });
});
