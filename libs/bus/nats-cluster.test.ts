// The NATS bus on a 3-server NATS cluster (started by the test harness): the
// bus contract with each node on a different server (messages cross routes),
// and nodes that keep exchanging news while the servers restart one by one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { uniqueName, waitUntil } from '../../test/harness/index.ts';
import { startNatsCluster, type NatsClusterHandle } from '../../test/harness/nats-cluster.ts';
import { busContract } from './bus.contract.ts';
import { createNatsBus } from './nats-bus.ts';
import { captureLogger, newRegistry } from './test-support.ts';
import type { Bus } from './types.ts';

let nc: NatsClusterHandle | undefined;
beforeAll(async () => { nc = await startNatsCluster(3); }, 60_000);
afterAll(async () => { await nc?.stop(); });

busContract('nats cluster (3 servers, nodes on different servers)', async () => {
  let next = 0;
  let rawConn: NatsConnection | undefined;
  return {
    bus: (cluster, node, deps) => createNatsBus({ servers: nc!.urls[next++ % 3], cluster, node, ...deps }),
    raw: async (subject, data) => {
      rawConn ??= await connect({ servers: nc!.urls[2] });
      rawConn.publish(subject, data);
      await rawConn.flush();
    },
    close: async () => { await rawConn?.close(); },
  };
});

describe('NATS cluster restarts', () => {
  it('nodes given every server keep exchanging news while each server in turn is killed and started again', async () => {
    const cluster = uniqueName('natsroll');
    const deps = () => ({ logger: captureLogger().logger, registry: newRegistry() });
    const nodes: Bus[] = await Promise.all(['a', 'b', 'c'].map((id) =>
      createNatsBus({ servers: nc!.urls, cluster, node: id, reconnectTimeWaitMs: 50, ...deps() })));
    try {
      const seen = nodes.map(() => new Set<string>());
      nodes.forEach((n, i) => n.subscribe({ kind: 'ban' }, (m) => { seen[i].add(m.payload.key); }));
      await Promise.all(nodes.map((n) => n.flush()));
      let version = 0;
      /** one message from each node, received by every node */
      const roundTrip = async (label: string) => {
        const keys = nodes.map((_, i) => `${label}-${i}`);
        await waitUntil(async () => {
          nodes.forEach((n, i) => { if (!seen.every((s) => s.has(keys[i]))) n.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: keys[i], version: ++version } }); });
          await Promise.all(nodes.filter((n) => n.isUp()).map((n) => n.flush().catch(() => undefined)));
          return keys.every((k) => seen.every((s) => s.has(k)));
        }, 20_000, 100);
      };
      await roundTrip('start');
      for (let i = 0; i < 3; i++) {
        await nc!.kill(i);
        await roundTrip(`killed-${i}`);
        await nc!.start(i);
        await nc!.waitRouted(i);
        await roundTrip(`restarted-${i}`);
      }
      expect(nodes.every((n) => n.isUp())).toBe(true);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  }, 120_000);
});
