// The PostgreSQL store against a real server (the harness's private cluster or DATABASE_URL).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, endPool } from '#test/harness/index';
import { listMigrations, migrate, PgAccStore } from './pg-store.ts';
import { callEvents } from './test-support.ts';

let db: { url: string; drop(): Promise<void> };
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgUrl'), 'accstore');
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
});
afterAll(async () => {
  if (pool) await endPool(pool);
  await db?.drop();
});

describe('accounting PostgreSQL store', () => {
  it('migrates once: a second run (or a second writer) applies nothing', async () => {
    const [a, b] = await Promise.all([migrate(pool), migrate(pool)]);
    expect([...a, ...b]).toEqual(listMigrations().map((m) => m.name));
    expect(await migrate(pool)).toEqual([]);
    const t = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    expect(t.rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['acc', 'acc_cdrs', 'acc_open_calls', 'acc_schema_migrations', 'missed_calls']));
  });

  it('writes one record per call however often a batch is applied', async () => {
    const store = new PgAccStore(pool);
    const evs = [
      ...callEvents({ call: 'once-1', attempts: [{ gw: 'sip:gw1', duid: 'gw1', outcome: 'answer' }], talkMs: 2500, byeBy: 'callee', byeNode: 'n2' }),
      ...callEvents({ call: 'once-2', attempts: [{ gw: 'sip:gw1', duid: 'gw1', outcome: 'busy' }] }),
    ];
    const first = await store.applyBatch(evs);
    expect(first.records.map((r) => r.callId).sort()).toEqual(['once-1', 'once-2']);
    // the same batch again (a retried job), and concurrently twice more
    const again = await Promise.all([store.applyBatch(evs), store.applyBatch(evs)]);
    expect(again.flatMap((x) => x.records)).toEqual([]);
    expect(again.every((x) => x.newEvents === 0 && x.repeated === evs.length)).toBe(true);
    const rows = (await pool.query('SELECT * FROM acc_cdrs WHERE callid LIKE $1 ORDER BY callid', ['once-%'])).rows;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ callid: 'once-1', end_reason: 'callee_bye', duration: '2.500', gateway: 'sip:gw1', duid: 'gw1', reroutes: 0, sip_code: 200, node: 'n1', bye_node: 'n2', from_uri: 'sip:alice@example.com', src_ip: '192.0.2.1', transport: 'udp' });
    expect(rows[1]).toMatchObject({ callid: 'once-2', end_reason: 'failed', failure: 'busy', sip_code: 486, duration: '0.000' });
    const missed = (await pool.query('SELECT callid, sip_code FROM missed_calls WHERE callid LIKE $1', ['once-%'])).rows;
    expect(missed).toEqual([{ callid: 'once-2', sip_code: '486' }]);
    const acc = await pool.query('SELECT count(*)::int AS n FROM acc WHERE callid LIKE $1', ['once-%']);
    expect(acc.rows[0].n).toBe(evs.length);
  });

  it('assembles a call across batches and nodes, in any order', async () => {
    const store = new PgAccStore(pool);
    const evs = callEvents({ call: 'split-1', attempts: [{ gw: 'sip:a', duid: 'a', outcome: 'congestion' }, { gw: 'sip:b', duid: 'b', outcome: 'answer' }], talkMs: 4000, byeNode: 'n3' });
    const bye = evs.pop();
    expect((await store.applyBatch(bye ? [bye] : [])).records).toEqual([]);
    expect((await store.applyBatch(evs.slice(0, 4))).records).toEqual([]);
    const last = await store.applyBatch(evs.slice(4));
    expect(last.records).toHaveLength(1);
    expect(last.records[0]).toMatchObject({ callId: 'split-1', reroutes: 1, duid: 'b', durationMs: 4000, endReason: 'caller_bye', byeNode: 'n3' });
    expect(await store.openCalls()).toBe(0);
    // late news about a written call changes nothing
    expect((await store.applyBatch(callEvents({ call: 'split-1', attempts: [{ gw: 'sip:c', outcome: 'busy' }] }))).records).toEqual([]);
  });

  it('closes calls past their deadline: node_lost before an answer, expired after one', async () => {
    const store = new PgAccStore(pool, { setupExpireMs: 1000, dialogExpireMs: 5000 });
    const t0 = Date.now() - 60_000;
    await store.applyBatch([
      ...callEvents({ call: 'dl-lost', t0, attempts: [{ gw: 'sip:a', outcome: 'timeout' }] }),
      ...callEvents({ call: 'dl-exp', t0, attempts: [{ gw: 'sip:a', duid: 'a', outcome: 'answer' }] }),
      ...callEvents({ call: 'dl-live', t0: Date.now() + 60_000, attempts: [{ gw: 'sip:a', outcome: 'answer' }] }),
    ]);
    // a sweep that has not seen every event up to the deadlines closes nothing
    expect(await store.sweep(t0)).toEqual([]);
    const closed = await store.sweep(Date.now() + 10_000);
    expect(closed.map((r) => [r.callId, r.endReason]).sort()).toEqual([['dl-exp', 'expired'], ['dl-lost', 'node_lost']]);
    expect(await store.sweep(Date.now() + 10_000)).toEqual([]);
    const live = await pool.query('SELECT callid FROM acc_open_calls');
    expect(live.rows).toEqual([{ callid: 'dl-live' }]);
  });
});
