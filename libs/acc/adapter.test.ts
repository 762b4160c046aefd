import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CallEvent, Hop } from '#libs/proxy';
import { parseMessage } from '#libs/sip';
import { callEventToAcc, countingEmit, hopDuid } from './adapter.ts';
import type { AccEventInput } from './events.ts';
import { createCallMetrics } from './metrics.ts';
import { applyEvent, finishRecord, isComplete, newCallState } from './record.ts';
import { stamp } from './test-support.ts';

const hop: Hop = { target: { proto: 'udp', host: '192.0.2.10', port: 5060 }, label: 'sip:192.0.2.10:5060', data: { setId: 1, dest: { attrs: { duid: 'gw1' } } } };
const branch = (attempt: number) => ({ attempt, hop, target: hop.target, socket: 'udp:127.0.0.1:5060', transport: 'udp' as const });
const base = (extra: Partial<{ toTag: string; method: string }> = {}) => ({ callId: 'c1', method: extra.method ?? 'INVITE', fromTag: 'ft', toTag: extra.toTag, at: 1000 });

function collect(events: CallEvent[]): AccEventInput[] {
  const out: AccEventInput[] = [];
  const emit = countingEmit((e) => out.push(e));
  for (const ev of events) callEventToAcc(ev, emit, (h) => hopDuid(h), () => undefined);
  return out;
}

describe('call events to accounting events', () => {
  it('maps an INVITE relayed with failover, answered, then a BYE from the callee', () => {
    const evs = collect([
      { ...base(), type: 'request.accepted', inDialog: false, source: { proto: 'udp', address: '198.51.100.1', port: 5060 }, local: 'udp:127.0.0.1:5060', hops: 2 },
      { ...base(), type: 'branch.sent', branch: branch(0) },
      { ...base(), type: 'branch.failed', branch: branch(0), cause: 'status', status: 503 },
      { ...base(), type: 'request.rerouted', from: 0, to: 1 },
      { ...base(), type: 'branch.sent', branch: branch(1) },
      { ...base(), type: 'branch.provisional', branch: branch(1), status: 180, first: true },
      { ...base(), type: 'branch.provisional', branch: branch(1), status: 183, first: false },
      { ...base(), type: 'branch.answered', branch: branch(1), status: 200 },
      { ...base(), type: 'request.completed', status: 200, local: false },
      { ...base({ method: 'ACK', toTag: 'tt' }), type: 'dialog.confirmed' },
      { ...base({ method: 'BYE', toTag: 'ft' }), fromTag: 'callee-tag', type: 'dialog.ended', by: 'callee' },
    ]);
    expect(evs.map((e) => e.t)).toEqual(['attempt', 'attempt-failed', 'attempt', 'ringing', 'answered', 'final', 'ended']);
    expect(evs[0]).toMatchObject({ n: 0, gw: 'sip:192.0.2.10:5060', duid: 'gw1' });
    expect(evs[5]).toMatchObject({ t: 'final', status: 200, k: 5 });
    expect(evs[6]).toMatchObject({ t: 'ended', by: 'callee', toTag: 'callee-tag' });
  });

  it('a refused INVITE gives start + refused (with From/To from the request); floods and garbage give nothing', () => {
    const msg = parseMessage(Buffer.from('INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK1\r\nFrom: <sip:alice@example.com>;tag=ft\r\nTo: <sip:bob@example.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n'));
    if (!msg.ok) throw new Error('bad fixture');
    const source = { proto: 'udp' as const, address: '198.51.100.1', port: 5060 };
    const refused = collect([{ ...base(), type: 'request.refused', status: 403, reason: 'Forbidden', code: 'permissions.denied', request: msg.msg, source }]);
    expect(refused).toMatchObject([{ t: 'start', from: 'sip:alice@example.com', to: 'sip:bob@example.com', src: { ip: '198.51.100.1' } }, { t: 'refused', status: 403, code: 'permissions.denied', k: 1 }]);
    const s = newCallState('c1');
    for (const e of refused) applyEvent(s, stamp(e));
    expect(isComplete(s)).toBe(true);
    expect(finishRecord(s)).toMatchObject({ endReason: 'refused', failure: 'barred', fromUri: 'sip:alice@example.com' });
    expect(collect([{ ...base(), type: 'request.refused', status: 503, reason: 'Busy', code: 'pike.flood_reply', request: msg.msg, source }])).toEqual([]);
  });

  it('re-INVITE and UPDATE are a sign of life; other in-dialog traffic is ignored', () => {
    const acc = { type: 'request.accepted' as const, inDialog: true, source: { proto: 'udp' as const, address: '198.51.100.1', port: 5060 }, local: 'udp:127.0.0.1:5060', hops: 1 };
    expect(collect([{ ...base({ toTag: 'tt' }), ...acc }, { ...base({ method: 'UPDATE', toTag: 'tt' }), ...acc }, { ...base({ method: 'INFO', toTag: 'tt' }), ...acc }]).map((e) => e.t)).toEqual(['refresh', 'refresh']);
  });

  it('countingEmit stays bounded', () => {
    const out: AccEventInput[] = [];
    const emit = countingEmit((e) => out.push(e), 2);
    for (const call of ['a', 'b', 'c']) emit({ t: 'cancelled', call, at: 1 });
    emit({ t: 'final', call: 'a', at: 2, status: 487, local: false });
    emit({ t: 'final', call: 'c', at: 2, status: 487, local: false });
    // a was dropped to make room for c: its final carries no count (the writer does without)
    expect(out.slice(3)).toEqual([{ t: 'final', call: 'a', at: 2, status: 487, local: false }, { t: 'final', call: 'c', at: 2, status: 487, local: false, k: 1 }]);
  });
});

describe('per-gateway call metrics', () => {
  it('counts successes with and without reroute, failures by reason, SER and setup delay', async () => {
    const registry = new Registry();
    const m = createCallMetrics(registry);
    const rec = { callId: 'x', attempts: [], endAt: 0, durationMs: 1000, sipReason: '' };
    m.observe({ ...rec, duid: 'gw1', reroutes: 0, answerAt: 1, endReason: 'caller_bye', sipStatus: 200, srdMs: 80 });
    m.observe({ ...rec, duid: 'gw1', reroutes: 1, answerAt: 1, endReason: 'callee_bye', sipStatus: 200 });
    m.observe({ ...rec, duid: 'gw1', reroutes: 0, endReason: 'failed', failure: 'busy', sipStatus: 486, durationMs: 0 });
    m.observe({ ...rec, duid: 'gw1', reroutes: 0, endReason: 'failed', failure: 'other', sipStatus: 302, durationMs: 0 });
    m.observe({ ...rec, reroutes: 0, endReason: 'refused', failure: 'route_select_failure', sipStatus: 404, durationMs: 0 });
    const text = await registry.metrics();
    expect(text).toContain('sbc_acc_calls_succeeded_total{gateway="gw1",reroute="no"} 1');
    expect(text).toContain('sbc_acc_calls_succeeded_total{gateway="gw1",reroute="yes"} 1');
    expect(text).toContain('sbc_acc_calls_failed_total{gateway="gw1",reason="busy"} 1');
    expect(text).toContain('sbc_acc_calls_failed_total{gateway="none",reason="route_select_failure"} 1');
    // 2 answered / (4 calls - 1 answered with a 3xx)
    expect(text).toMatch(/sbc_acc_session_establishment_ratio\{gateway="gw1"\} 0\.666/);
    expect(text).toContain('sbc_acc_setup_delay_seconds_bucket{le="0.1",gateway="gw1"} 1');
  });
});
