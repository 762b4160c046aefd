// One contract, run against every Bus implementation (memory-bus.test.ts,
// nats-bus.test.ts). Negative checks ("not delivered") use a marker message
// sent afterwards by the same publisher: delivery is ordered per publisher.
import { afterEach, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';
import { uniqueName, waitUntil } from '../../test/harness/index.ts';
import { BusError } from './errors.ts';
import type { BusMessage } from './messages.ts';
import { subjectFor } from './subjects.ts';
import { captureLogger, metricValue, newRegistry } from './test-support.ts';
import type { Bus } from './types.ts';

export interface BusFixture {
  /** A bus for `node` in `cluster`; buses of one fixture reach each other. */
  bus(cluster: string, node: string, deps: { logger: Logger; registry: Registry }): Promise<Bus>;
  /** Publishes raw bytes on a subject, bypassing encode (stray or future publishers). */
  raw(subject: string, data: string): Promise<void>;
  close(): Promise<void>;
}

export function busContract(name: string, makeFixture: () => Promise<BusFixture>): void {
  describe(`Bus contract: ${name}`, () => {
    let fx: BusFixture | undefined;
    const buses: Bus[] = [];
    afterEach(async () => {
      await Promise.all(buses.splice(0).map((b) => b.close()));
      await fx?.close();
      fx = undefined;
    });

    async function nodes(count: number) {
      fx = await makeFixture();
      const cluster = uniqueName('bus');
      const { logger, lines } = captureLogger();
      const registry = newRegistry();
      const out: Bus[] = [];
      for (let i = 1; i <= count; i++) out.push(await fx.bus(cluster, `n${i}`, { logger, registry }));
      buses.push(...out);
      return { cluster, buses: out, lines, registry, fx };
    }

    it('delivers a typed message to another node with the full envelope', async () => {
      const { cluster, buses: [a, b] } = await nodes(2);
      const got: BusMessage[] = [];
      b.subscribe({ kind: 'ban' }, (m) => { got.push(m); });
      await b.flush();
      const before = Date.now();
      expect(a.publish({ kind: 'ban' }, { type: 'table.set', payload: { table: 'ipban', key: '1.2.3.4', value: 'x', ttlMs: 5000, version: 7 } })).toBe(true);
      await waitUntil(() => got.length === 1);
      const m = got[0]!;
      expect(m).toMatchObject({ v: 1, type: 'table.set', node: 'n1', subject: subjectFor(cluster, { kind: 'ban' }), channel: { kind: 'ban' } });
      expect(m.payload).toEqual({ table: 'ipban', key: '1.2.3.4', value: 'x', ttlMs: 5000, version: 7 });
      expect(m.ts).toBeGreaterThanOrEqual(before - 1);
    });

    it("delivers the node's own messages, marked with its node id", async () => {
      const { buses: [a] } = await nodes(1);
      const got: BusMessage[] = [];
      a.subscribe({ kind: 'gateway' }, (m) => { got.push(m); });
      await a.flush();
      a.publish({ kind: 'gateway' }, { type: 'gateway.state', payload: { set: 1, uri: 'sip:10.0.0.1', state: 'inactive' } });
      await waitUntil(() => got.length === 1);
      expect(got[0]!.node).toBe(a.node);
    });

    it('wildcard selectors: every config kind, but not other channels', async () => {
      const { buses: [a, b] } = await nodes(2);
      const kinds: string[] = [];
      b.subscribe({ kind: 'config' }, (m) => { kinds.push(m.payload.kind); });
      await b.flush();
      a.publish({ kind: 'table', name: 'acl' }, { type: 'table.delete', payload: { table: 'acl', key: 'k', version: 1 } });
      a.publish({ kind: 'config', name: 'dispatcher' }, { type: 'config.changed', payload: { kind: 'dispatcher', version: 2 } });
      a.publish({ kind: 'config', name: 'acl' }, { type: 'config.changed', payload: { kind: 'acl', version: 5, doc: 'x' } });
      await waitUntil(() => kinds.length === 2);
      expect(kinds).toEqual(['dispatcher', 'acl']);
    });

    it('clusters are isolated', async () => {
      const { buses: [a] } = await nodes(1);
      const other = await fx!.bus(uniqueName('other'), 'n9', { logger: captureLogger().logger, registry: newRegistry() });
      buses.push(other);
      const seen: string[] = [];
      other.subscribe({ kind: 'ban' }, (m) => { seen.push(m.payload.key); });
      await other.flush();
      a.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'theirs', version: 1 } });
      other.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'mine', version: 1 } });
      await a.flush();
      await waitUntil(() => seen.includes('mine'));
      await other.flush();
      expect(seen).toEqual(['mine']);
    });

    it('ignores unknown versions, unknown types and garbage with a log line, and keeps delivering', async () => {
      const { cluster, buses: [a, b], lines, registry, fx: f } = await nodes(2);
      const got: Array<BusMessage<'table.set' | 'table.delete'>> = [];
      b.subscribe({ kind: 'ban' }, (m) => { got.push(m); });
      await b.flush();
      const subject = subjectFor(cluster, { kind: 'ban' });
      await f.raw(subject, JSON.stringify({ v: 2, type: 'table.set', node: 'future', ts: 1, payload: {} }));
      await f.raw(subject, JSON.stringify({ v: 1, type: 'ban.nuke', node: 'x', ts: 1, payload: {} }));
      await f.raw(subject, '\u0000not json');
      a.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'marker', version: 1 } });
      await waitUntil(() => got.length === 1);
      expect(got[0]!.payload.key).toBe('marker');
      expect(await metricValue(registry, 'sbc_bus_messages_total', { subject_kind: 'ban', direction: 'invalid' })).toBe(3);
      const reasons = lines.filter((l) => l.msg === 'bus message ignored').map((l) => String(l.reason));
      expect(reasons).toEqual([expect.stringMatching(/version 2/), expect.stringMatching(/ban\.nuke/), 'not JSON']);
    });

    it('a throwing or rejecting handler is contained', async () => {
      const { buses: [a, b], lines } = await nodes(2);
      const keys: string[] = [];
      b.subscribe({ kind: 'table', name: 't' }, () => { throw new Error('boom'); });
      b.subscribe({ kind: 'table', name: 't' }, async () => { throw new Error('async boom'); });
      b.subscribe({ kind: 'table', name: 't' }, (m) => { keys.push(m.payload.key); });
      await b.flush();
      a.publish({ kind: 'table', name: 't' }, { type: 'table.delete', payload: { table: 't', key: 'k1', version: 1 } });
      a.publish({ kind: 'table', name: 't' }, { type: 'table.delete', payload: { table: 't', key: 'k2', version: 2 } });
      await waitUntil(() => keys.length === 2 && lines.filter((l) => l.msg === 'bus handler failed').length === 4);
      expect(keys).toEqual(['k1', 'k2']);
    });

    it('unsubscribe stops delivery', async () => {
      const { buses: [a, b] } = await nodes(2);
      const first: string[] = [];
      const second: string[] = [];
      const off = b.subscribe({ kind: 'table', name: 't' }, (m) => { first.push(m.payload.key); });
      b.subscribe({ kind: 'table', name: 't' }, (m) => { second.push(m.payload.key); });
      await b.flush();
      a.publish({ kind: 'table', name: 't' }, { type: 'table.delete', payload: { table: 't', key: 'k1', version: 1 } });
      await waitUntil(() => first.length === 1);
      off();
      off(); // idempotent
      await b.flush();
      a.publish({ kind: 'table', name: 't' }, { type: 'table.delete', payload: { table: 't', key: 'k2', version: 2 } });
      await waitUntil(() => second.length === 2);
      expect(first).toEqual(['k1']);
    });

    it('counts out and in per subject kind', async () => {
      const { buses: [a, b], registry } = await nodes(2);
      let n = 0;
      b.subscribe({ kind: 'config' }, () => { n++; });
      await b.flush();
      a.publish({ kind: 'config', name: 'acl' }, { type: 'config.changed', payload: { kind: 'acl', version: 1 } });
      await waitUntil(() => n === 1);
      expect(await metricValue(registry, 'sbc_bus_messages_total', { subject_kind: 'config', direction: 'out' })).toBe(1);
      expect(await metricValue(registry, 'sbc_bus_messages_total', { subject_kind: 'config', direction: 'in' })).toBe(1);
    });

    it('after close: publish returns false (counted as dropped), status is closed and was announced', async () => {
      const { buses: [a], registry } = await nodes(1);
      const statuses: string[] = [];
      a.onStatus((s) => statuses.push(s.type));
      expect(a.isUp()).toBe(true);
      await a.close();
      expect(a.status().type).toBe('closed');
      expect(a.isUp()).toBe(false);
      expect(statuses).toEqual(['closed']);
      expect(a.publish({ kind: 'ban' }, { type: 'table.delete', payload: { table: 'ipban', key: 'k', version: 1 } })).toBe(false);
      expect(await metricValue(registry, 'sbc_bus_messages_total', { subject_kind: 'ban', direction: 'dropped' })).toBe(1);
      await a.close(); // idempotent
    });

    it('rejects channel names that are not subject tokens', async () => {
      const { buses: [a] } = await nodes(1);
      expect(() => a.publish({ kind: 'table', name: 'a.b' }, { type: 'table.delete', payload: { table: 'a.b', key: 'k', version: 1 } })).toThrow(BusError);
      expect(() => a.subscribe({ kind: 'config', name: '*' }, () => undefined)).toThrow(/not usable in a NATS subject/);
    });
  });
}
