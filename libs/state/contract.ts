// The one contract suite both backends must pass (memory.test.ts,
// redis.test.ts). A fixture is "one SBC cluster": node() adds a node sharing
// its store; advance() lets time pass (a fake clock for memory, real sleeps
// with short TTLs for Redis).
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from './errors.ts';
import type { ContactInput, FlushResult, SharedState } from './types.ts';

export interface ClusterFixture {
  node(): Promise<SharedState>;
  advance(ms: number): Promise<void>;
  now(): number;
  close(): Promise<void>;
}

export type FixtureFactory = () => Promise<ClusterFixture>;

/** A fixture over real servers (Redis, Cluster, Sentinel): each node() is one more client of `cluster` in the same store; time passes for real. */
export function realStoreFixture(cluster: string, connect: (cluster: string) => Promise<SharedState>): ClusterFixture {
  const nodes: SharedState[] = [];
  return {
    async node() {
      const s = await connect(cluster);
      nodes.push(s);
      return s;
    },
    advance: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    async close() { await Promise.all(nodes.map((n) => n.close())); },
  };
}

const LONG = 60_000;

async function rejectsWith(p: Promise<unknown>, code: StateError['code']): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StateError);
  expect((err as StateError).code).toBe(code);
}

export function stateContract(label: string, makeCluster: FixtureFactory): void {
  describe(`state contract: ${label}`, () => {
    let fx: ClusterFixture | undefined;
    const cluster = async () => { fx = await makeCluster(); return fx; };
    afterEach(async () => { await fx?.close(); fx = undefined; });

    /** Avoids a window boundary in the middle of a counting test. */
    const freshWindow = async (f: ClusterFixture, windowMs: number) => {
      const left = windowMs - (f.now() % windowMs);
      if (left < 2000) await f.advance(left + 5);
    };

    describe('counters', () => {
      it('counts locally until flush, then returns cluster totals', async () => {
        const f = await cluster();
        const s = await f.node();
        await freshWindow(f, LONG);
        const c = s.counters('pike', { windowMs: LONG, flushIntervalMs: LONG });
        expect(c.add('1.2.3.4')).toBe(1);
        expect(c.add('1.2.3.4', 2)).toBe(3);
        c.add('5.6.7.8');
        expect(c.pending()).toBe(2);
        expect(await c.total('1.2.3.4')).toBe(0);
        const totals = await c.flush();
        expect(totals).toEqual(new Map([['1.2.3.4', 3], ['5.6.7.8', 1]]));
        expect(c.pending()).toBe(0);
        expect(await c.total('1.2.3.4')).toBe(3);
        expect(await c.flush()).toEqual(new Map());
      });

      it('sums exactly across 4 nodes adding concurrently', async () => {
        const f = await cluster();
        const nodes = await Promise.all([f.node(), f.node(), f.node(), f.node()]);
        await freshWindow(f, LONG);
        const cs = nodes.map((n) => n.counters('pike', { windowMs: LONG, flushIntervalMs: LONG }));
        await Promise.all(cs.map(async (c, i) => {
          for (let round = 0; round < 5; round++) {
            for (let k = 0; k < 50; k++) c.add('flood');
            c.add(`node-${i}`, i + 1);
            await c.flush();
          }
        }));
        for (const c of cs) expect(await c.total('flood')).toBe(1000);
        expect(await cs[0].total('node-3')).toBe(20);
        const top = await cs[1].top(2);
        expect(top[0]).toEqual({ key: 'flood', count: 1000 });
        expect(top[1]).toEqual({ key: 'node-3', count: 20 });
        // After a flush, a node's local estimate includes what the others flushed.
        cs[2].add('flood');
        expect((await cs[2].flush()).get('flood')).toBe(1001);
        expect(cs[2].add('flood')).toBe(1002);
      });

      it('starts from zero in a new window and forgets the old one', async () => {
        const f = await cluster();
        const s = await f.node();
        const c = s.counters('pike', { windowMs: 200, flushIntervalMs: LONG });
        await f.advance(200 - (f.now() % 200) + 5); // just inside a window
        c.add('a', 5);
        await c.flush();
        await f.advance(200);
        expect(await c.top(5, 'previous')).toEqual([{ key: 'a', count: 5 }]);
        await f.advance(500);
        expect(await c.total('a')).toBe(0);
        expect(await c.top(5)).toEqual([]);
        expect(c.add('a')).toBe(1);
        expect((await c.flush()).get('a')).toBe(1);
      });

      it('flushes on its timer and when the batch is full, reporting to onFlush', async () => {
        const f = await cluster();
        const s = await f.node();
        await freshWindow(f, LONG);
        const timed = s.counters('timed', { windowMs: LONG, flushIntervalMs: 20 });
        const seen: FlushResult[] = [];
        timed.onFlush((r) => seen.push(r));
        timed.add('x', 7);
        await waitFor(() => seen.length > 0);
        expect(seen[0]).toMatchObject({ ok: true, totals: new Map([['x', 7]]) });

        const batched = s.counters('batched', { windowMs: LONG, flushIntervalMs: LONG, maxBatch: 3 });
        const got: FlushResult[] = [];
        batched.onFlush((r) => got.push(r));
        batched.add('a'); batched.add('b');
        expect(got).toEqual([]);
        batched.add('c');
        await waitFor(() => got.length > 0);
        expect(got[0].ok && got[0].totals.size).toBe(3);
      });

      it('ranks the hottest keys with top(n)', async () => {
        const f = await cluster();
        const s = await f.node();
        await freshWindow(f, LONG);
        const c = s.counters('pike', { windowMs: LONG, flushIntervalMs: LONG });
        c.add('low', 1); c.add('high', 9); c.add('mid', 4);
        await c.flush();
        expect(await c.top(2)).toEqual([{ key: 'high', count: 9 }, { key: 'mid', count: 4 }]);
      });

      it('rejects bad names and increments', async () => {
        const s = await (await cluster()).node();
        expect(() => s.counters('a:b', { windowMs: 1000, flushIntervalMs: 100 })).toThrow(StateError);
        expect(() => s.counters('ok', { windowMs: 0, flushIntervalMs: 100 })).toThrow(StateError);
        const c = s.counters('ok', { windowMs: 1000, flushIntervalMs: 100 });
        expect(() => c.add('k', 0)).toThrow(StateError);
      });
    });

    describe('tables', () => {
      it('sets, gets and deletes entries with and without TTL', async () => {
        const f = await cluster();
        const s = await f.node();
        const before = f.now();
        expect(await s.tables.set('ipban', '1.2.3.4', 'flood', 5000)).toMatchObject({ key: '1.2.3.4', value: 'flood' });
        await s.tables.set('ipban', '::1:5060', 'v6');
        const e = await s.tables.get('ipban', '1.2.3.4');
        expect(e?.value).toBe('flood');
        expect(e!.expiresAt!).toBeGreaterThan(before + 3000);
        expect(e!.expiresAt!).toBeLessThanOrEqual(f.now() + 5000);
        expect(await s.tables.get('ipban', '::1:5060')).toEqual({ key: '::1:5060', value: 'v6', expiresAt: null, ttlMs: null });
        expect(await s.tables.get('ipban', 'nope')).toBeNull();
        expect(await s.tables.get('other', '1.2.3.4')).toBeNull();
        expect(await s.tables.delete('ipban', '1.2.3.4')).toBe(true);
        expect(await s.tables.delete('ipban', '1.2.3.4')).toBe(false);
        expect(await s.tables.get('ipban', '1.2.3.4')).toBeNull();
        expect(await s.tables.count('ipban')).toBe(1);
      });

      it('expires entries: get, dump and count stop seeing them', async () => {
        const f = await cluster();
        const s = await f.node();
        await s.tables.set('ipban', 'short', '1', 100);
        await s.tables.set('ipban', 'long', '1', LONG);
        expect(await s.tables.count('ipban')).toBe(2);
        await f.advance(250);
        expect(await s.tables.get('ipban', 'short')).toBeNull();
        expect(await s.tables.count('ipban')).toBe(1);
        expect((await s.tables.dump('ipban')).map((e) => e.key)).toEqual(['long']);
      });

      it('dumps by prefix with the remaining TTL, seen from another node', async () => {
        const f = await cluster();
        const [a, b] = await Promise.all([f.node(), f.node()]);
        await a.tables.set('auth', 'alice@x', '1', 5000);
        await a.tables.set('auth', 'alice@y', '2');
        await a.tables.set('auth', 'bob@x', '3', 5000);
        const d = (await b.tables.dump('auth', 'alice')).sort((p, q) => (p.key < q.key ? -1 : 1));
        expect(d.map((e) => [e.key, e.value])).toEqual([['alice@x', '1'], ['alice@y', '2']]);
        expect(d[0].ttlMs!).toBeGreaterThan(3000);
        expect(d[0].ttlMs!).toBeLessThanOrEqual(5000);
        expect(d[1].ttlMs).toBeNull();
        expect((await b.tables.dump('auth')).length).toBe(3);
        expect(await b.tables.dump('empty')).toEqual([]);
      });

      it('incr creates with a TTL from the first increment and does not extend it', async () => {
        const f = await cluster();
        const s = await f.node();
        const first = await s.tables.incr('authfail', 'alice', 1, 500);
        expect(first.value).toBe(1);
        await f.advance(100);
        const second = await s.tables.incr('authfail', 'alice', 2, 500);
        expect(second.value).toBe(3);
        expect(second.expiresAt!).toBeLessThanOrEqual(first.expiresAt! + 50);
        await f.advance(500);
        expect((await s.tables.incr('authfail', 'alice', 1, 300)).value).toBe(1);
        await s.tables.set('authfail', 'text', 'abc');
        await rejectsWith(s.tables.incr('authfail', 'text', 1, 300), 'STATE_NOT_INTEGER');
      });

      it('counts concurrent increments from 4 nodes exactly', async () => {
        const f = await cluster();
        const nodes = await Promise.all([f.node(), f.node(), f.node(), f.node()]);
        await Promise.all(nodes.map(async (n) => {
          await Promise.all(Array.from({ length: 50 }, () => n.tables.incr('authfail', 'bob', 1, LONG)));
        }));
        expect((await nodes[0].tables.get('authfail', 'bob'))?.value).toBe('200');
      });

      it('rejects table names that would break the key layout', async () => {
        const s = await (await cluster()).node();
        await rejectsWith(s.tables.set('a:b', 'k', 'v'), 'STATE_BAD_NAME');
        await rejectsWith(s.tables.get('ipban', ''), 'STATE_BAD_NAME');
        await rejectsWith(s.tables.set('ipban', 'k', 'v', 0), 'STATE_BAD_ARG');
      });
    });

    describe('dialogs', () => {
      it('stores strings and objects, with a first branch in the same call', async () => {
        const f = await cluster();
        const s = await f.node();
        await s.dialogs.put('tok1', { rr: ['<sip:a>'], n: 1 }, { dialogExpireMs: 5000, branchExpireMs: 5000, branch: { branchId: 'z9hG4bK1', data: 'via-stack' } });
        await s.dialogs.put('tok2', 'raw', { dialogExpireMs: 5000, branchExpireMs: 5000 });
        const other = await f.node();
        expect(await other.dialogs.get('tok1')).toEqual({ rr: ['<sip:a>'], n: 1 });
        expect(await other.dialogs.get('tok2')).toBe('raw');
        expect(await other.dialogs.getBranch('tok1', 'z9hG4bK1')).toBe('via-stack');
        expect(await other.dialogs.getBranch('tok1', 'other')).toBeNull();
        expect(await other.dialogs.get('missing')).toBeNull();
      });

      it('expires branches quickly and dialogs unless refreshed', async () => {
        const f = await cluster();
        const s = await f.node();
        await s.dialogs.put('d1', 'r1', { dialogExpireMs: 600, branchExpireMs: 100, branch: { branchId: 'b1', data: 'x' } });
        await s.dialogs.put('d2', 'r2', { dialogExpireMs: 600, branchExpireMs: 100 });
        await s.dialogs.putBranch('d2', 'b2', { v: 1 }, 100);
        await f.advance(200);
        expect(await s.dialogs.getBranch('d1', 'b1')).toBeNull();
        expect(await s.dialogs.getBranch('d2', 'b2')).toBeNull();
        expect(await s.dialogs.refresh('d1', 5000)).toBe(true);
        await f.advance(500);
        expect(await s.dialogs.get('d1')).toBe('r1');
        expect(await s.dialogs.get('d2')).toBeNull();
        expect(await s.dialogs.refresh('d2', 5000)).toBe(false);
      });

      it('reads and re-times a dialog in one call (longer or shorter)', async () => {
        const f = await cluster();
        const s = await f.node();
        await s.dialogs.put('g1', { n: 1 }, { dialogExpireMs: 300, branchExpireMs: 100 });
        await s.dialogs.put('g2', 'r2', { dialogExpireMs: 5000, branchExpireMs: 100 });
        expect(await s.dialogs.getAndExpire('g1', 5000)).toEqual({ n: 1 });
        expect(await (await f.node()).dialogs.getAndExpire('g2', 200)).toBe('r2');
        await f.advance(400);
        expect(await s.dialogs.get('g1')).toEqual({ n: 1 });
        expect(await s.dialogs.get('g2')).toBeNull();
        expect(await s.dialogs.getAndExpire('g2', 5000)).toBeNull();
      });

      it('deletes and rejects tokens with separators', async () => {
        const s = await (await cluster()).node();
        await s.dialogs.put('d', 'r', { dialogExpireMs: 5000, branchExpireMs: 100 });
        expect(await s.dialogs.delete('d')).toBe(true);
        expect(await s.dialogs.delete('d')).toBe(false);
        expect(await s.dialogs.get('d')).toBeNull();
        await rejectsWith(s.dialogs.put('a:b', 'r', { dialogExpireMs: 5000, branchExpireMs: 100 }), 'STATE_BAD_NAME');
      });
    });

    describe('call load', () => {
      it('counts active calls per destination, idempotent per Call-ID', async () => {
        const s = await (await cluster()).node();
        expect(await s.callLoad.start('gw1', 'c1', LONG)).toBe(1);
        expect(await s.callLoad.start('gw1', 'c1', LONG)).toBe(1);
        expect(await s.callLoad.start('gw1', 'c2', LONG)).toBe(2);
        expect(await s.callLoad.start('gw2', 'c3', LONG)).toBe(1);
        expect(await s.callLoad.counts(['gw1', 'gw2', 'gw3'])).toEqual(new Map([['gw1', 2], ['gw2', 1], ['gw3', 0]]));
        expect(await s.callLoad.end('gw1', 'c1')).toBe(1);
        expect(await s.callLoad.end('gw1', 'c1')).toBe(1);
        expect(await s.callLoad.count('gw1')).toBe(1);
        expect(await s.callLoad.counts([])).toEqual(new Map());
      });

      it('lets calls of a dead node expire, and refresh keep long calls', async () => {
        const f = await cluster();
        const s = await f.node();
        await s.callLoad.start('gw', 'dies', 100);
        await s.callLoad.start('gw', 'long', 600);
        await f.advance(150);
        expect(await s.callLoad.refresh('gw', 'long', 5000)).toBe(true);
        expect(await s.callLoad.refresh('gw', 'dies', 5000)).toBe(false);
        await f.advance(500);
        expect(await s.callLoad.count('gw')).toBe(1);
        expect(await s.callLoad.counts(['gw'])).toEqual(new Map([['gw', 1]]));
      });

      it('starts on the least loaded destination, keeps retransmissions on it, honours maxLoad', async () => {
        const s = await (await cluster()).node();
        await s.callLoad.start('a', 'x1', LONG);
        await s.callLoad.start('a', 'x2', LONG);
        await s.callLoad.start('b', 'y1', LONG);
        expect(await s.callLoad.startLeastLoaded(['a', 'b', 'c'], 'n1', LONG)).toEqual({ dest: 'c', count: 1, counts: [2, 1, 1] });
        expect(await s.callLoad.startLeastLoaded(['a', 'b', 'c'], 'n2', LONG)).toEqual({ dest: 'b', count: 2, counts: [2, 2, 1] });
        // retransmission of n2's INVITE on another node: same destination, not counted twice
        const other = await fx!.node();
        expect(await other.callLoad.startLeastLoaded(['c', 'a', 'b'], 'n2', LONG)).toEqual({ dest: 'b', count: 2, counts: [1, 2, 2] });
        expect(await s.callLoad.startLeastLoaded(['a', 'b'], 'n3', LONG, 2)).toBeNull();
        expect(await s.callLoad.startLeastLoaded([], 'n4', LONG)).toBeNull();
        // one limit per destination (0 = none): a is full at 2, b has no limit
        expect(await s.callLoad.startLeastLoaded(['a', 'b'], 'n5', LONG, [2, 0])).toEqual({ dest: 'b', count: 3, counts: [2, 3] });
        await rejectsWith(s.callLoad.startLeastLoaded(['a', 'b'], 'n6', LONG, [2]), 'STATE_BAD_ARG');
      });

      it('endAny ends a call on whichever destination counts it', async () => {
        const s = await (await cluster()).node();
        await s.callLoad.start('b', 'k1', LONG);
        expect(await s.callLoad.endAny(['a', 'b'], 'k1')).toBe('b');
        expect(await s.callLoad.endAny(['a', 'b'], 'k1')).toBeNull();
        expect(await s.callLoad.count('b')).toBe(0);
      });

      it('counts concurrent starts from 4 nodes exactly', async () => {
        const f = await cluster();
        const nodes = await Promise.all([f.node(), f.node(), f.node(), f.node()]);
        await Promise.all(nodes.map((n, i) => Promise.all(Array.from({ length: 25 }, (_, k) => n.callLoad.start('gw', `call-${i}-${k}`, LONG)))));
        expect(await nodes[3].callLoad.count('gw')).toBe(100);
      });
    });

    describe('leases', () => {
      it('gives each lease to one member at a time, and lists live members', async () => {
        const f = await cluster();
        const [a, b] = await Promise.all([f.node(), f.node()]);
        const ra = await a.leases.sync('probe', 'n1', ['g1', 'g2'], [], LONG);
        expect(ra).toEqual({ members: ['n1'], owned: ['g1', 'g2'] });
        const rb = await b.leases.sync('probe', 'n2', ['g2', 'g3'], [], LONG);
        expect(rb).toEqual({ members: ['n1', 'n2'], owned: ['g3'] });
        // n1 lets g2 go; n2 takes it on its next sync; renewing keeps what one holds
        expect((await a.leases.sync('probe', 'n1', ['g1'], ['g2'], LONG)).owned).toEqual(['g1']);
        expect((await b.leases.sync('probe', 'n2', ['g2', 'g3'], [], LONG)).owned).toEqual(['g2', 'g3']);
        // releasing what another member holds does nothing
        expect((await a.leases.sync('probe', 'n1', ['g1'], ['g3'], LONG)).owned).toEqual(['g1']);
        expect((await b.leases.sync('probe', 'n2', ['g3'], [], LONG)).owned).toEqual(['g3']);
      });

      it('lets a dead member and its leases expire', async () => {
        const f = await cluster();
        const [a, b] = await Promise.all([f.node(), f.node()]);
        await a.leases.sync('probe', 'dies', ['g1'], [], 200);
        await b.leases.sync('probe', 'lives', [], [], 5000);
        expect((await b.leases.sync('probe', 'lives', ['g1'], [], 5000)).owned).toEqual([]);
        await f.advance(300);
        expect(await b.leases.sync('probe', 'lives', ['g1'], [], 5000)).toEqual({ members: ['lives'], owned: ['g1'] });
      });

      it('leave drops the member and its leases at once', async () => {
        const f = await cluster();
        const [a, b] = await Promise.all([f.node(), f.node()]);
        await a.leases.sync('probe', 'n1', ['g1'], [], LONG);
        await a.leases.leave('probe', 'n1', ['g1']);
        expect(await b.leases.sync('probe', 'n2', ['g1'], [], LONG)).toEqual({ members: ['n2'], owned: ['g1'] });
      });

      it('claim pins the first holder until it expires', async () => {
        const f = await cluster();
        const [a, b] = await Promise.all([f.node(), f.node()]);
        expect(await a.leases.claim('pin', 'branch-1', 'gw-a', 300)).toBe('gw-a');
        expect(await b.leases.claim('pin', 'branch-1', 'gw-b', 300)).toBe('gw-a');
        await f.advance(400);
        expect(await b.leases.claim('pin', 'branch-1', 'gw-b', 300)).toBe('gw-b');
      });

      it('release gives a claim back only for its holder', async () => {
        const f = await cluster();
        const [a, b] = await Promise.all([f.node(), f.node()]);
        expect(await a.leases.claim('nc', 'n1:1', 'h-a', LONG)).toBe('h-a');
        expect(await b.leases.release('nc', 'n1:1', 'h-b')).toBe(false);
        expect(await b.leases.claim('nc', 'n1:1', 'h-b', LONG)).toBe('h-a');
        expect(await b.leases.release('nc', 'n1:1', 'h-a')).toBe(true);
        expect(await a.leases.claim('nc', 'n1:1', 'h-c', LONG)).toBe('h-c');
        expect(await a.leases.release('nc', 'never-claimed', 'h-a')).toBe(false);
      });

      it('rejects bad group names', async () => {
        const s = await (await cluster()).node();
        await rejectsWith(s.leases.sync('a:b', 'n', [], [], LONG), 'STATE_BAD_NAME');
        await rejectsWith(s.leases.claim('pin', 'x', 'h', 0), 'STATE_BAD_ARG');
      });
    });

    describe('locations', () => {
      const contact = (uri: string, extra: Partial<ContactInput> = {}): ContactInput =>
        ({ uri, expiresMs: 3_600_000, callId: `cid-${uri}`, cseq: 1, ...extra });

      it('saves bindings with their fields and looks them up by q', async () => {
        const f = await cluster();
        const s = await f.node();
        const saved = await s.locations.save('alice@example.com', contact('sip:alice@10.0.0.1', {
          q: 0.5, received: 'sip:1.2.3.4:5060', path: ['<sip:edge;lr>'], userAgent: 'Phone/1', instance: '<urn:uuid:1>', regId: 1, socket: 'udp:0.0.0.0:5060',
        }));
        expect(saved.ok).toBe(true);
        await s.locations.save('alice@example.com', contact('sip:alice@10.0.0.2', { q: 0.9 }));
        const list = await (await f.node()).locations.lookup('alice@example.com');
        expect(list.map((c) => c.uri)).toEqual(['sip:alice@10.0.0.2', 'sip:alice@10.0.0.1']);
        expect(list[1]).toMatchObject({ q: 0.5, received: 'sip:1.2.3.4:5060', path: ['<sip:edge;lr>'], userAgent: 'Phone/1', instance: '<urn:uuid:1>', regId: 1, callId: 'cid-sip:alice@10.0.0.1', cseq: 1, socket: 'udp:0.0.0.0:5060' });
        expect(list[0].q).toBe(0.9);
        expect(list[0].expiresAt).toBeGreaterThan(f.now() + 3_500_000);
        expect(list[0].expiresAt).toBeLessThanOrEqual(f.now() + 3_600_000 + 50);
        expect(Math.abs(list[0].updatedAt - f.now())).toBeLessThan(2000);
        expect(await s.locations.lookup('nobody@example.com')).toEqual([]);
      });

      it('prunes expired bindings and removes on expires=0', async () => {
        const f = await cluster();
        const s = await f.node();
        await s.locations.save('bob', contact('sip:short', { expiresMs: 100 }));
        await s.locations.save('bob', contact('sip:long'));
        await s.locations.save('bob', contact('sip:gone'));
        const r = await s.locations.save('bob', contact('sip:gone', { expiresMs: 0, cseq: 2 }));
        expect(r.ok && r.contacts.map((c) => c.uri).sort()).toEqual(['sip:long', 'sip:short']);
        await f.advance(250);
        expect((await s.locations.lookup('bob')).map((c) => c.uri)).toEqual(['sip:long']);
      });

      it('refuses a stale CSeq on the same Call-ID and enforces maxContacts', async () => {
        const s = await (await cluster()).node();
        await s.locations.save('carol', contact('sip:c1', { cseq: 5 }));
        const stale = await s.locations.save('carol', contact('sip:c1', { cseq: 5, expiresMs: 0 }));
        expect(stale).toMatchObject({ ok: false, reason: 'stale-cseq' });
        expect(stale.contacts.length).toBe(1);
        expect((await s.locations.save('carol', contact('sip:c1', { cseq: 6 }))).ok).toBe(true);
        const full = await s.locations.save('carol', contact('sip:c2'), { maxContacts: 1 });
        expect(full).toMatchObject({ ok: false, reason: 'too-many-contacts' });
        expect((await s.locations.save('carol', contact('sip:c1', { cseq: 7 }), { maxContacts: 1 })).ok).toBe(true);
      });

      it('replaces a binding of the same instance and reg-id (RFC 5626)', async () => {
        const s = await (await cluster()).node();
        await s.locations.save('dave', contact('sip:old', { instance: '<urn:uuid:9>', regId: 1 }));
        await s.locations.save('dave', contact('sip:flow2', { instance: '<urn:uuid:9>', regId: 2 }));
        const r = await s.locations.save('dave', contact('sip:new', { instance: '<urn:uuid:9>', regId: 1 }));
        expect(r.contacts.map((c) => c.uri).sort()).toEqual(['sip:flow2', 'sip:new']);
      });

      it('removes one binding or all of them', async () => {
        const s = await (await cluster()).node();
        await s.locations.save('erin', contact('sip:e1'));
        await s.locations.save('erin', contact('sip:e2'));
        expect((await s.locations.remove('erin', 'sip:e1')).map((c) => c.uri)).toEqual(['sip:e2']);
        await s.locations.save('erin', contact('sip:e3'));
        expect(await s.locations.removeAll('erin')).toBe(2);
        expect(await s.locations.lookup('erin')).toEqual([]);
        expect(await s.locations.removeAll('erin')).toBe(0);
      });
    });

    describe('config', () => {
      it('keeps versioned documents a later node can load', async () => {
        const f = await cluster();
        const s = await f.node();
        expect(await s.config.get('dispatcher')).toBeNull();
        expect(await s.config.put('dispatcher', 'v1 doc', 1)).toEqual({ ok: true, version: 1 });
        expect(await s.config.put('dispatcher', 'stale', 1)).toEqual({ ok: false, current: 1 });
        expect(await s.config.put('dispatcher', 'v3 doc', 3)).toEqual({ ok: true, version: 3 });
        await s.config.put('acl', 'acl doc', 0);
        const late = await f.node();
        expect(await late.config.get('dispatcher')).toEqual({ kind: 'dispatcher', doc: 'v3 doc', version: 3 });
        expect(await late.config.list()).toEqual([
          { kind: 'acl', doc: 'acl doc', version: 0 },
          { kind: 'dispatcher', doc: 'v3 doc', version: 3 },
        ]);
        await rejectsWith(late.config.put('acl', 'x', -1), 'STATE_BAD_ARG');
      });
    });

    describe('lifecycle', () => {
      it('reports up, and refuses new counters after close', async () => {
        const s = await (await cluster()).node();
        expect(s.status()).toEqual({ up: true, reconnect: false });
        const off = s.onStatus(() => undefined);
        off();
        await s.close();
        expect(() => s.counters('late', { windowMs: 1000, flushIntervalMs: 100 })).toThrow(StateError);
      });
    });
  });
}

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
