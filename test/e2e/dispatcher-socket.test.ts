// A destination's `socket` attr: its OPTIONS probes and the calls relayed to
// it leave from that listen socket (Kamailio: probes go out through the
// destination's socket), not from the node's first one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitUntil } from '../harness/index.ts';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { startOptionsGateway, type OptionsGateway } from '../cluster/options-gateway.ts';

describe('dispatcher socket attr', () => {
  let node: SbcNodeHandle;
  let gw: OptionsGateway;
  let other: OptionsGateway;
  let second: number;

  beforeAll(async () => {
    [gw, other] = await Promise.all([startOptionsGateway(), startOptionsGateway()]);
    const first = await freePort();
    second = await freePort();
    node = await startSbcNode({
      gateways: [],
      port: first,
      config: {
        log: { level: 'warn' },
        sip: { listen: [{ proto: 'udp', host: '127.0.0.1', port: first }, { proto: 'udp', host: '127.0.0.1', port: second }] },
        dispatcher: {
          ds_ping_interval: 200,
          ds_probing_mode: 1,
          sets: [
            { setid: 1, uri: gw.uri, attrs: `socket=udp:127.0.0.1:${second}` },
            { setid: 2, uri: other.uri },
          ],
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    await Promise.all([gw?.stop(), other?.stop()]);
  });

  it('probes from the destination\'s socket, and from the default one otherwise', async () => {
    await waitUntil(() => gw.probes().length >= 2 && other.probes().length >= 2, 5000, 20);
    expect(new Set(gw.probes().map((p) => p.port))).toEqual(new Set([second]));
    expect(new Set(other.probes().map((p) => p.port))).toEqual(new Set([node.port]));
  });
});
