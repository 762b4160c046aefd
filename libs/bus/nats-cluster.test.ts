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

// On one server, a flushed subscription is live for every publisher. Across a
// cluster, the server forwards the interest to its routes asynchronously, so a
// publisher on another server may not see it yet. The contract's `flush()` is
// therefore made to also wait for that: a probe subscription made on the same
// server after the bus's own travels the same (ordered) route connections, so
// once a probe published on every other server arrives, the bus's interest has
// arrived there too.
busContract('nats cluster (3 servers, nodes on different servers)', async () => {
  let next = 0;
  const conns = new Map<number, NatsConnection>();
  const conn = async (i: number) => {
    let c = conns.get(i);
    if (!c) { c = await connect({ servers: nc!.urls[i] }); conns.set(i, c); }
    return c;
  };
  const interestPropagated = async (server: number) => {
    const probe = `_probe.${uniqueName('p')}`;
    const local = await conn(server);
    const got = new Set<number>();
    const sub = local.subscribe(probe, { callback: (_err, m) => { got.add(Number(m.string())); } });
    await local.flush();
    const others = [0, 1, 2].filter((i) => i !== server);
    try {
      await waitUntil(async () => {
        for (const i of others) if (!got.has(i)) { const c = await conn(i); c.publish(probe, String(i)); await c.flush(); }
        return others.every((i) => got.has(i));
      }, 10_000, 20);
    } finally {
      sub.unsubscribe();
    }
  };
  return {
    bus: async (cluster, node, deps) => {
      const server = next++ % 3;
      const bus = await createNatsBus({ servers: nc!.urls[server], cluster, node, ...deps });
      const flush = bus.flush.bind(bus);
      bus.flush = async () => { await flush(); await interestPropagated(server); };
      return bus;
    },
    raw: async (subject, data) => {
      const c = await conn(2);
      c.publish(subject, data);
      await c.flush();
    },
    close: async () => { await Promise.all([...conns.values()].map((c) => c.close())); conns.clear(); },
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
