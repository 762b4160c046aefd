import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { describe, expect, inject, it } from 'vitest';
import { freePort, spawnNats, uniqueName, waitUntil } from '../../test/harness/index.ts';
import { busContract } from './bus.contract.ts';
import { BusError } from './errors.ts';
import { createNatsBus } from './nats-bus.ts';
import { captureLogger, metricValue, newRegistry } from './test-support.ts';
import type { BusStatus } from './types.ts';

busContract('nats', async () => {
  const url = inject('natsUrl');
  let rawConn: NatsConnection | undefined;
  return {
    bus: (cluster, node, deps) => createNatsBus({ servers: url, cluster, node, ...deps }),
    raw: async (subject, data) => {
      rawConn ??= await connect({ servers: url });
      rawConn.publish(subject, data);
      await rawConn.flush();
    },
    close: async () => { await rawConn?.close(); },
  };
});

describe('nats bus connection', () => {
  it('rejects with BUS_CONNECT_FAILED when no server answers', async () => {
    const port = await freePort();
    const err = await createNatsBus({ servers: `nats://127.0.0.1:${port}`, cluster: 'c', node: 'n', connectTimeoutMs: 500, ...deps() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect((err as BusError).code).toBe('BUS_CONNECT_FAILED');
  });

  it('reports disconnected / reconnected, drops publishes while down, and delivers again after reconnect', async () => {
    const server = await spawnNats();
    const cluster = uniqueName('natsdown');
    const d = deps();
    const a = await createNatsBus({ servers: server.url, cluster, node: 'a', reconnectTimeWaitMs: 50, ...d });
    const b = await createNatsBus({ servers: server.url, cluster, node: 'b', reconnectTimeWaitMs: 50, ...d });
    try {
      const statuses: BusStatus['type'][] = [];
      a.onStatus((s) => statuses.push(s.type));
      const keys: string[] = [];
      b.subscribe({ kind: 'ban' }, (m) => { keys.push(m.payload.key); });
      await b.flush();

      await server.kill!();
      await waitUntil(() => statuses.includes('disconnected'));
      expect(a.isUp()).toBe(false);
      expect(a.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'lost', version: 1 } })).toBe(false);
      expect(await metricValue(d.registry, 'sbc_bus_messages_total', { subject_kind: 'ban', direction: 'dropped' })).toBe(1);

      await server.start!();
      await waitUntil(() => a.isUp() && b.isUp(), 10_000);
      expect(statuses).toEqual(['disconnected', 'reconnected']);
      await b.flush(); // b's subscription is re-sent on reconnect
      a.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'after', version: 2 } });
      await waitUntil(() => keys.length === 1);
      expect(keys).toEqual(['after']);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await server.stop();
    }
  });

  it('closes cleanly while the server is down', async () => {
    const server = await spawnNats();
    const bus = await createNatsBus({ servers: server.url, cluster: uniqueName('closedown'), node: 'a', reconnectTimeWaitMs: 50, ...deps() });
    await server.kill!();
    await waitUntil(() => !bus.isUp());
    await bus.close();
    expect(bus.status().type).toBe('closed');
    await server.stop();
  });
});

function deps() {
  return { logger: captureLogger().logger, registry: newRegistry() };
}
