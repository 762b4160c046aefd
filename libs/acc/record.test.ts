import { describe, expect, it } from 'vitest';
import { parseBatch, type AccEvent } from './events.ts';
import { applyEvent, deadlineOf, finishRecord, isComplete, newCallState, statusClass } from './record.ts';
import { callEvents, stamp } from './test-support.ts';

function assemble(evs: AccEvent[]) {
  const s = newCallState(evs[0].call);
  for (const e of evs) applyEvent(s, e);
  return s;
}

const T0 = 1_700_000_000_000;

describe('call record assembly', () => {
  it('answered and hung up by the callee: every field', () => {
    const s = assemble(callEvents({ call: 'c1', t0: T0, attempts: [{ gw: 'sip:gw1:5060', duid: 'gw1', outcome: 'answer' }], talkMs: 5000, byeBy: 'callee', byeNode: 'n2' }));
    expect(isComplete(s)).toBe(true);
    expect(finishRecord(s)).toEqual({
      callId: 'c1', fromUri: 'sip:alice@example.com', fromTag: 'ft1', toUri: 'sip:bob@example.com', toTag: 'tt1', ruri: 'sip:bob@example.com',
      srcIp: '192.0.2.1', srcPort: 5060, transport: 'udp', node: 'n1', byeNode: 'n2', gateway: 'sip:gw1:5060', duid: 'gw1',
      attempts: [{ n: 0, gateway: 'sip:gw1:5060', duid: 'gw1', at: T0, result: 'answered', status: 200 }],
      reroutes: 0, inviteAt: T0, ringAt: T0 + 100, answerAt: T0 + 200, endAt: T0 + 5200, setupMs: 200, srdMs: 100,
      durationMs: 5000, endReason: 'callee_bye', sipStatus: 200, sipReason: 'OK',
    });
  });

  it('failover then answered: reroute count and the answering gateway', () => {
    const r = finishRecord(assemble(callEvents({ call: 'c2', attempts: [{ gw: 'sip:a', duid: 'a', outcome: 'congestion' }, { gw: 'sip:b', duid: 'b', outcome: 'answer' }], talkMs: 1000 })));
    expect(r).toMatchObject({ gateway: 'sip:b', duid: 'b', reroutes: 1, endReason: 'caller_bye', durationMs: 1000 });
    expect(r.attempts.map((a) => [a.duid, a.result, a.status])).toEqual([['a', 'failed', 503], ['b', 'answered', 200]]);
  });

  it('busy, cancelled, unanswered and unreachable calls are records too, with their class', () => {
    const busy = finishRecord(assemble(callEvents({ call: 'b', attempts: [{ gw: 'sip:a', outcome: 'busy' }] })));
    expect(busy).toMatchObject({ endReason: 'failed', failure: 'busy', sipStatus: 486, sipReason: 'Busy Here', durationMs: 0 });
    expect(busy.answerAt).toBeUndefined();
    const cancel = finishRecord(assemble(callEvents({ call: 'c', attempts: [{ gw: 'sip:a', outcome: 'noanswer' }], cancel: true })));
    expect(cancel).toMatchObject({ endReason: 'cancelled', failure: 'cancelled', sipStatus: 487 });
    const noAnswer = finishRecord(assemble(callEvents({ call: 'n', attempts: [{ gw: 'sip:a', outcome: 'noanswer' }] })));
    expect(noAnswer).toMatchObject({ endReason: 'timeout', failure: 'no_answer', sipStatus: 408 });
    const silent = finishRecord(assemble(callEvents({ call: 's', attempts: [{ gw: 'sip:a', outcome: 'timeout' }, { gw: 'sip:b', outcome: 'silent' }] })));
    expect(silent).toMatchObject({ failure: 'not_reachable', reroutes: 1, sipStatus: 408 });
    const all503 = finishRecord(assemble(callEvents({ call: 'x', attempts: [{ gw: 'sip:a', outcome: 'congestion' }, { gw: 'sip:b', outcome: 'congestion' }] })));
    expect(all503).toMatchObject({ failure: 'congestion', gateway: 'sip:b', reroutes: 1, sipStatus: 503 });
  });

  it('refused before routing: barred by policy, route select failure', () => {
    const barred = assemble([stamp({ call: 'r', at: T0, t: 'refused', status: 403, reason: 'Forbidden', code: 'permissions.denied' })]);
    expect(isComplete(barred)).toBe(true);
    expect(finishRecord(barred)).toMatchObject({ endReason: 'refused', failure: 'barred', sipStatus: 403, reroutes: 0 });
    const noRoute = assemble([stamp({ call: 'r2', at: T0, t: 'refused', status: 404, reason: 'No Destination', code: 'dispatcher.no_destination' })]);
    expect(finishRecord(noRoute).failure).toBe('route_select_failure');
  });

  it('batches written out of order: the record waits for every event the final one counts', () => {
    const evs = callEvents({ call: 'ooo', attempts: [{ gw: 'sip:a', duid: 'a', outcome: 'congestion' }, { gw: 'sip:b', duid: 'b', outcome: 'busy' }] });
    const fin = evs.findIndex((e) => e.t === 'final');
    const s = newCallState('ooo');
    // the batch with the final event first, then the earlier ones, the first attempt's own event last
    for (const e of evs.slice(fin)) applyEvent(s, e);
    expect(isComplete(s)).toBe(false);
    for (const e of evs.slice(2, fin)) applyEvent(s, e);
    expect(isComplete(s)).toBe(false);
    for (const e of evs.slice(0, 2).reverse()) applyEvent(s, e);
    expect(isComplete(s)).toBe(true);
    const r = finishRecord(s);
    expect(r).toMatchObject({ reroutes: 1, duid: 'b', failure: 'busy', fromUri: 'sip:alice@example.com' });
    expect(r.attempts.map((a) => [a.n, a.gateway, a.duid, a.result, a.status])).toEqual([[0, 'sip:a', 'a', 'failed', 503], [1, 'sip:b', 'b', 'failed', 486]]);
  });

  it('a BYE that overtakes the answer keeps the call open until the answer comes', () => {
    const evs = callEvents({ call: 'o', attempts: [{ gw: 'sip:a', outcome: 'answer' }], talkMs: 3000, byeNode: 'n2' });
    const bye = evs.pop() as AccEvent;
    const s = newCallState('o');
    applyEvent(s, bye);
    expect(isComplete(s)).toBe(false);
    for (const e of evs) applyEvent(s, e);
    expect(isComplete(s)).toBe(true);
    expect(finishRecord(s).durationMs).toBe(3000);
  });

  it('an answered call whose BYE never comes closes as expired; one without a final answer as node_lost', () => {
    const expiry = { setupExpireMs: 60_000, dialogExpireMs: 600_000 };
    const answered = assemble(callEvents({ call: 'e', t0: T0, attempts: [{ gw: 'sip:a', outcome: 'answer' }] }));
    expect(isComplete(answered)).toBe(false);
    expect(deadlineOf(answered, expiry)).toBe(T0 + 200 + 600_000);
    expect(finishRecord(answered, T0 + 700_000)).toMatchObject({ endReason: 'expired', endAt: T0 + 200, durationMs: 0 });
    const lost = assemble(callEvents({ call: 'l', t0: T0, attempts: [{ gw: 'sip:a', outcome: 'timeout' }] }));
    expect(isComplete(lost)).toBe(false);
    expect(deadlineOf(lost, expiry)).toBe(T0 + 100 + 60_000);
    expect(finishRecord(lost, T0 + 100_000)).toMatchObject({ endReason: 'node_lost', failure: 'node_lost', sipStatus: 0 });
  });

  it('state survives a JSON round trip (it is kept in PostgreSQL between batches)', () => {
    const evs = callEvents({ call: 'j', attempts: [{ gw: 'sip:a', outcome: 'answer' }], talkMs: 10 });
    const s = assemble(evs.slice(0, 3));
    const back = JSON.parse(JSON.stringify(s));
    for (const e of evs.slice(3)) applyEvent(back, e);
    const direct = assemble(evs);
    expect(finishRecord(back)).toEqual(finishRecord(direct));
  });

  it('status classes', () => {
    expect([486, 600, 603, 408, 480, 404, 503, 403, 499].map(statusClass)).toEqual(['busy', 'busy', 'busy', 'no_answer', 'no_answer', 'not_reachable', 'congestion', 'barred', 'other']);
  });

  it('parseBatch refuses what is not a batch', () => {
    expect(parseBatch(null)).toMatch(/not an object/);
    expect(parseBatch({ v: 2, node: 'n', events: [] })).toMatch(/version/);
    expect(parseBatch({ v: 1, node: 'n', events: [{ id: 'x', call: 'c', at: 1, t: 'nope' }] })).toMatch(/malformed/);
    const ok = { v: 1, node: 'n', events: [stamp({ call: 'c', at: 1, t: 'cancelled' })] };
    expect(parseBatch(ok)).toBe(ok);
  });
});
