// PostgreSQL side of the writer: schema migrations, and one transaction per
// batch that (1) stores the batch's events in `acc`, keeping only event ids
// never seen before, (2) folds those new events into the calls they belong to
// (acc_open_calls), and (3) writes each call that became complete to acc_cdrs,
// once (callid is unique). A batch handled twice (a retry, a writer killed
// before it acknowledged the job) finds its events already stored and changes
// nothing: records are written exactly once.
import pg from 'pg';
import type { AccEvent } from './events.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { applyEvent, deadlineOf, finishRecord, isComplete, newCallState, type AccRecord, type CallState } from './record.ts';

export interface Expiry {
  /** an unanswered call with no news for this long is closed as node_lost */
  setupExpireMs: number;
  /** an answered call with no BYE (or refresh) for this long is closed as expired */
  dialogExpireMs: number;
}

export const DEFAULT_EXPIRY: Expiry = { setupExpireMs: 300_000, dialogExpireMs: 10_800_000 };

/** any constant: serializes writers that migrate at the same moment */
const MIGRATION_LOCK = 0x5bc_acc;

export function listMigrations(): readonly Migration[] {
  return MIGRATIONS;
}

/** Applies the migrations not applied yet, each in its own transaction; returns their names. */
export async function migrate(pool: pg.Pool, migrations = listMigrations()): Promise<string[]> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS acc_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM acc_schema_migrations')).rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await c.query('BEGIN');
      try {
        await c.query(m.sql);
        await c.query('INSERT INTO acc_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw new Error(`accounting migration ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    c.release();
  }
}

function methodOf(ev: AccEvent): string {
  return ev.t === 'ended' ? 'BYE' : ev.t === 'cancelled' ? 'CANCEL' : 'INVITE';
}

/** the acc row of an event (Kamailio acc columns + ours) */
function accRow(ev: AccEvent): Record<string, unknown> {
  const status = 'status' in ev && ev.status !== undefined ? String(ev.status) : '';
  return {
    event_id: ev.id,
    method: methodOf(ev),
    event: ev.t,
    from_tag: ev.t === 'start' ? ev.fromTag : '',
    to_tag: ev.t === 'answered' ? (ev.toTag ?? '') : '',
    callid: ev.call,
    sip_code: status,
    sip_reason: ev.t === 'refused' || ev.t === 'final' ? (ev.reason ?? '') : '',
    time: new Date(ev.at).toISOString(),
    node: ev.node,
    attempt: 'n' in ev ? ev.n : null,
    gateway: ev.t === 'attempt' ? ev.gw : null,
    duid: ev.t === 'attempt' ? (ev.duid ?? null) : null,
    data: ev,
  };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function secs(ms: number | undefined): number | null {
  return ms === undefined ? null : ms / 1000;
}

/** the acc_cdrs row of a record */
export function cdrRow(r: AccRecord): Record<string, unknown> {
  return {
    start_time: iso(r.inviteAt ?? r.endAt),
    end_time: iso(r.endAt),
    duration: r.durationMs / 1000,
    callid: r.callId,
    core_callid: r.coreCallId ?? null,
    from_uri: r.fromUri ?? null,
    from_tag: r.fromTag ?? null,
    to_uri: r.toUri ?? null,
    to_tag: r.toTag ?? null,
    ruri: r.ruri ?? null,
    src_ip: r.srcIp ?? null,
    src_port: r.srcPort ?? null,
    transport: r.transport ?? null,
    auth_user: r.authUser ?? null,
    node: r.node ?? null,
    bye_node: r.byeNode ?? null,
    gateway: r.gateway ?? null,
    duid: r.duid ?? null,
    reroutes: r.reroutes,
    attempts: r.attempts,
    invite_time: iso(r.inviteAt),
    ring_time: iso(r.ringAt),
    answer_time: iso(r.answerAt),
    setuptime: secs(r.setupMs),
    srd: secs(r.srdMs),
    end_reason: r.endReason,
    failure: r.failure ?? null,
    sip_code: r.sipStatus,
    sip_reason: r.sipReason,
  };
}

const ACC_COLUMNS = 'event_id, method, event, from_tag, to_tag, callid, sip_code, sip_reason, time, node, attempt, gateway, duid, data';
const ACC_TYPES = 'event_id varchar, method varchar, event varchar, from_tag varchar, to_tag varchar, callid varchar, sip_code varchar, sip_reason varchar, time timestamptz, node varchar, attempt integer, gateway varchar, duid varchar, data jsonb';
const CDR_COLUMNS = 'start_time, end_time, duration, callid, core_callid, from_uri, from_tag, to_uri, to_tag, ruri, src_ip, src_port, transport, auth_user, node, bye_node, gateway, duid, reroutes, attempts, invite_time, ring_time, answer_time, setuptime, srd, end_reason, failure, sip_code, sip_reason';
const CDR_TYPES = 'start_time timestamptz, end_time timestamptz, duration numeric, callid varchar, core_callid varchar, from_uri text, from_tag varchar, to_uri text, to_tag varchar, ruri text, src_ip varchar, src_port integer, transport varchar, auth_user varchar, node varchar, bye_node varchar, gateway varchar, duid varchar, reroutes integer, attempts jsonb, invite_time timestamptz, ring_time timestamptz, answer_time timestamptz, setuptime numeric, srd numeric, end_reason varchar, failure varchar, sip_code integer, sip_reason varchar';

export interface BatchResult {
  /** events stored for the first time */
  newEvents: number;
  /** events already stored (a retried or repeated batch) */
  repeated: number;
  /** records written by this batch */
  records: AccRecord[];
}

type Client = pg.PoolClient;

async function inTransaction<T>(pool: pg.Pool, f: (c: Client) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await f(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

async function insertCdrs(c: Client, records: AccRecord[]): Promise<AccRecord[]> {
  if (records.length === 0) return [];
  const res = await c.query<{ callid: string }>(
    `INSERT INTO acc_cdrs (${CDR_COLUMNS}) SELECT ${CDR_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS x(${CDR_TYPES}) ON CONFLICT (callid) DO NOTHING RETURNING callid`,
    [JSON.stringify(records.map(cdrRow))],
  );
  const written = new Set(res.rows.map((r) => r.callid));
  return records.filter((r) => written.has(r.callId));
}

export class PgAccStore {
  constructor(readonly pool: pg.Pool, private readonly expiry: Expiry = DEFAULT_EXPIRY) {}

  /** One batch in one transaction (see the file comment). */
  async applyBatch(events: readonly AccEvent[]): Promise<BatchResult> {
    if (events.length === 0) return { newEvents: 0, repeated: 0, records: [] };
    return inTransaction(this.pool, async (c) => {
      const ins = await c.query<{ event_id: string }>(
        `INSERT INTO acc (${ACC_COLUMNS}) SELECT ${ACC_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS x(${ACC_TYPES}) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [JSON.stringify(events.map(accRow))],
      );
      const fresh = new Set(ins.rows.map((r) => r.event_id));
      const byCall = new Map<string, AccEvent[]>();
      for (const ev of events) {
        if (!fresh.has(ev.id)) continue;
        fresh.delete(ev.id); // the same id twice in one batch counts once
        const list = byCall.get(ev.call);
        if (list === undefined) byCall.set(ev.call, [ev]); else list.push(ev);
      }
      const calls = [...byCall.keys()].sort();
      if (calls.length === 0) return { newEvents: 0, repeated: events.length, records: [] };
      // one writer at a time per call, in a fixed order (no deadlock between writers)
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k ORDER BY hashtextextended(k, 0)', [calls]);
      const open = new Map((await c.query<{ callid: string; state: CallState }>('SELECT callid, state FROM acc_open_calls WHERE callid = ANY($1) FOR UPDATE', [calls])).rows.map((r) => [r.callid, r.state]));
      const closed = new Set((await c.query<{ callid: string }>('SELECT callid FROM acc_cdrs WHERE callid = ANY($1)', [calls])).rows.map((r) => r.callid));
      const done: AccRecord[] = [];
      const keep: { callid: string; state: CallState; deadline: string }[] = [];
      const finished: string[] = [];
      let newEvents = 0;
      for (const call of calls) {
        const evs = byCall.get(call) as AccEvent[];
        newEvents += evs.length;
        if (closed.has(call)) continue; // late news about a call already written: kept in acc only
        const state = open.get(call) ?? newCallState(call);
        for (const ev of evs.sort((a, b) => a.at - b.at)) applyEvent(state, ev);
        if (isComplete(state)) {
          done.push(finishRecord(state));
          if (open.has(call)) finished.push(call);
        } else {
          keep.push({ callid: call, state, deadline: new Date(deadlineOf(state, this.expiry)).toISOString() });
        }
      }
      if (keep.length > 0) {
        await c.query(
          `INSERT INTO acc_open_calls (callid, state, deadline, updated) SELECT callid, state, deadline, now() FROM jsonb_to_recordset($1::jsonb) AS x(callid varchar, state jsonb, deadline timestamptz)
           ON CONFLICT (callid) DO UPDATE SET state = EXCLUDED.state, deadline = EXCLUDED.deadline, updated = now()`,
          [JSON.stringify(keep)],
        );
      }
      if (finished.length > 0) await c.query('DELETE FROM acc_open_calls WHERE callid = ANY($1)', [finished]);
      const records = await insertCdrs(c, done);
      return { newEvents, repeated: events.length - newEvents, records };
    });
  }

  /**
   * Closes open calls whose deadline passed (node lost, dialog expired); at
   * most `limit` per call. `now` must be a time up to which every event is
   * known: the writer passes the time of the oldest batch still queued when
   * there is a backlog (a writer that was down), so no call expires while
   * its BYE waits in the queue.
   */
  async sweep(now = Date.now(), limit = 500): Promise<AccRecord[]> {
    return inTransaction(this.pool, async (c) => {
      const rows = (await c.query<{ callid: string; state: CallState }>(
        'SELECT callid, state FROM acc_open_calls WHERE deadline < $1 ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED',
        [new Date(now).toISOString(), limit],
      )).rows;
      if (rows.length === 0) return [];
      await c.query('DELETE FROM acc_open_calls WHERE callid = ANY($1)', [rows.map((r) => r.callid)]);
      return insertCdrs(c, rows.map((r) => finishRecord(r.state, now)));
    });
  }

  async openCalls(): Promise<number> {
    const r = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM acc_open_calls');
    return Number(r.rows[0]?.n ?? 0);
  }
}
