// Algorithm 10 on one node: a call that fails over (503 from the first
// gateway) loads the gateway that answered, not the one that refused it, and
// stops counting when it ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../harness/index.ts';
import { runUac, startSbcNode, startUas, type SbcNodeHandle, type UasHandle } from '../sipp/index.ts';
import { destinations } from '../cluster/cluster-kit.ts';

describe('algorithm 10: call load follows a failover', () => {
  let refuser: UasHandle;
  let answerer: UasHandle;
  let node: SbcNodeHandle;

  beforeAll(async () => {
    [refuser, answerer] = await Promise.all([startUas({ scenario: 'uas_503' }), startUas({ scenario: 'uas' })]);
    node = await startSbcNode({
      gateways: [],
      config: {
        log: { level: 'warn' },
        dispatcher: {
          algorithm: 10,
          sets: [
            { setid: 1, uri: `sip:${refuser.host}:${refuser.port}`, attrs: 'duid=refuser' },
            { setid: 1, uri: `sip:${answerer.host}:${answerer.port}`, attrs: 'duid=answerer' },
          ],
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    await Promise.all([refuser?.stop(), answerer?.stop()]);
  });

  const calls = async () => Object.fromEntries((await destinations(node, 1)).map((d) => [d.uri.endsWith(`:${refuser.port}`) ? 'refuser' : 'answerer', d.calls]));

  it('counts the call on the gateway that answered after the failover', async () => {
    const call = runUac({ target: `${node.host}:${node.port}`, calls: 1, holdMs: 2500, timeoutMs: 20_000 });
    await waitUntil(async () => (await calls()).answerer === 1, 5000, 20);
    expect(await calls()).toEqual({ refuser: 0, answerer: 1 });
    expect((await call).successful).toBe(1);
    await waitUntil(async () => (await calls()).answerer === 0, 5000, 20);
    expect(refuser.counts().incoming).toBeGreaterThanOrEqual(1);
  });
});
