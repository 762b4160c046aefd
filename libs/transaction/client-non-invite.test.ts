import { describe, expect, it } from 'vitest';
import type { NonInviteClientTransaction } from './client-non-invite.ts';
import { makeRequest, makeResponse, setup, target, timesOf } from './test-support.ts';
import type { ClientTransactionEvents, Proto } from './types.ts';

function start(proto: Proto = 'udp', config = {}) {
  const s = setup({ frTimer: 0, ...config });
  const req = makeRequest('OPTIONS', { transport: proto === 'udp' ? 'UDP' : 'TCP', branch: 'z9hG4bKout1' });
  const tx = s.layer.sendRequest(req, target(proto)) as NonInviteClientTransaction;
  const events: string[] = [];
  const finals: ClientTransactionEvents['final'][] = [];
  tx.on('provisional', (e) => events.push(`provisional:${e.response.status}`));
  tx.on('final', (e) => {
    finals.push(e);
    events.push(`final:${e.response.status}${e.local ? ':local' : ''}`);
  });
  tx.on('timeout', (e) => events.push(`timeout:${e.timer}`));
  tx.on('terminated', (e) => events.push(`terminated:${e.reason}`));
  return { ...s, req, tx, events, finals };
}

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('UDP: Timer E doubles from T1 up to T2, Timer F times out at 64*T1 with a local 408', () => {
    const { clock, rec, layer, events, finals, tx } = start();
    expect(tx.kind).toBe('non-invite-client');
    clock.advance(40000);
    expect(timesOf(rec.sent, 'OPTIONS')).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(events).toEqual(['timeout:F', 'final:408:local', 'terminated:timeout']);
    const f = finals[0];
    expect(f.local && f.cause === 'timeout' && f.timer === 'F').toBe(true);
    // the local 408 looks like an answer from downstream: same Via/Call-ID/CSeq, a To tag
    expect(f.response.topVia()?.params.get('branch')).toBe('z9hG4bKout1');
    expect(f.response.cseq()).toEqual({ seq: 1, method: 'OPTIONS' });
    expect(f.response.toTag()).toBeDefined();
    expect(layer.size()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('TCP: no retransmissions, Timer F still applies', () => {
    const { clock, rec, events } = start('tcp');
    clock.advance(31999);
    expect(rec.labels()).toEqual(['OPTIONS']);
    clock.advance(1);
    expect(events).toEqual(['timeout:F', 'final:408:local', 'terminated:timeout']);
  });

  it('proceeding: Timer E keeps firing every T2', () => {
    const { clock, rec, layer, req, events } = start();
    clock.advance(600); // one retransmission at 500, next due at 1500
    layer.receiveResponse(makeResponse(req, 100, 'Trying'), target());
    clock.advance(10000 - 600);
    expect(timesOf(rec.sent, 'OPTIONS')).toEqual([0, 500, 1500, 5500, 9500]);
    expect(events).toEqual(['provisional:100']);
  });

  it('final over UDP: delivered once, retransmissions absorbed during Timer K (T4)', () => {
    const { clock, layer, req, events, tx, rec } = start();
    const ok = makeResponse(req, 200, 'OK', 'r1');
    layer.receiveResponse(ok, target());
    expect(tx.state.name).toBe('completed');
    layer.receiveResponse(ok, target());
    clock.advance(4999);
    expect(events).toEqual(['final:200']);
    expect(layer.size()).toBe(1);
    clock.advance(1);
    expect(events).toEqual(['final:200', 'terminated:normal']);
    expect(layer.size()).toBe(0);
    expect(rec.labels()).toEqual(['OPTIONS']); // E stopped with the final
  });

  it('final over TCP: Timer K = 0', () => {
    const { layer, req, events } = start('tcp');
    layer.receiveResponse(makeResponse(req, 404, 'Not Found', 'r1'), target('tcp'));
    expect(events).toEqual(['final:404', 'terminated:normal']);
    expect(layer.size()).toBe(0);
  });

  it('fr_timer: no response within frTimer -> timeout fr and local 408; any response disarms it', () => {
    const a = start('udp', { frTimer: 2000 });
    a.clock.advance(2000);
    expect(a.events).toEqual(['timeout:fr', 'final:408:local', 'terminated:timeout']);

    const b = start('udp', { frTimer: 2000 });
    b.clock.advance(300);
    b.layer.receiveResponse(makeResponse(b.req, 100, 'Trying'), target());
    b.clock.advance(5000);
    expect(b.events).toEqual(['provisional:100']);
  });
});
