import { describe, expect, it } from 'vitest';
import { busContract } from './bus.contract.ts';
import { createMemoryBus, MemoryHub } from './memory-bus.ts';
import { captureLogger, newRegistry } from './test-support.ts';
import { waitUntil } from '../../test/harness/index.ts';

busContract('memory', async () => {
  const hub = new MemoryHub();
  return {
    bus: async (cluster, node, deps) => createMemoryBus({ cluster, node, hub, ...deps }),
    raw: async (subject, data) => hub.publish(subject, data),
    close: async () => undefined,
  };
});

describe('memory bus', () => {
  it('a single node without a hub delivers its own publishes (no NATS configured)', async () => {
    const bus = createMemoryBus({ cluster: 'solo', node: 'n1', logger: captureLogger().logger, registry: newRegistry() });
    const keys: string[] = [];
    bus.subscribe({ kind: 'ban' }, (m) => { keys.push(m.payload.key); });
    bus.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'k', version: 1 } });
    await waitUntil(() => keys.length === 1);
    expect(keys).toEqual(['k']);
    await bus.close();
  });
  it('private hubs do not leak between single nodes', async () => {
    const deps = { logger: captureLogger().logger, registry: newRegistry() };
    const a = createMemoryBus({ cluster: 'solo', node: 'n1', ...deps });
    const b = createMemoryBus({ cluster: 'solo', node: 'n2', ...deps });
    const seen: string[] = [];
    b.subscribe({ kind: 'ban' }, (m) => { seen.push(m.node); });
    a.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'k', version: 1 } });
    b.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'k', version: 2 } });
    await waitUntil(() => seen.length === 1);
    await b.flush();
    expect(seen).toEqual(['n2']);
  });
});
