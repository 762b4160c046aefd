import { describe, expect, it } from 'vitest';
import { createResponse } from '#libs/sip';
import type { NonInviteServerTransaction } from './server-non-invite.ts';
import { makeRequest, setup, source } from './test-support.ts';
import type { Proto } from './types.ts';

function start(proto: Proto = 'udp') {
  const s = setup();
  const req = makeRequest('OPTIONS', { transport: proto === 'udp' ? 'UDP' : 'TCP' });
  const d = s.layer.receiveRequest(req, source(proto));
  if (d.kind !== 'new' || d.tx.kind !== 'non-invite-server') throw new Error(`unexpected ${d.kind}`);
  const tx: NonInviteServerTransaction = d.tx;
  const events: string[] = [];
  tx.on('terminated', (e) => events.push(e.reason));
  return { ...s, req, tx, events };
}

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('trying: sends no 100 and absorbs request retransmissions silently', () => {
    const { layer, rec, req, tx } = start();
    expect(rec.sent).toHaveLength(0);
    expect(layer.receiveRequest(req, source())).toEqual({ kind: 'retransmission', tx });
    expect(rec.sent).toHaveLength(0);
    expect(tx.state.name).toBe('trying');
  });

  it('lingering after its final, it keeps only its terminated listeners, and they still fire', () => {
    const { clock, req, tx, events } = start();
    tx.on('ack', () => events.push('ack?'));
    tx.respond(createResponse(req, 200, 'OK', { toTag: 't' }));
    expect([tx.listenerCount('ack'), tx.listenerCount('terminated')]).toEqual([0, 1]);
    clock.advance(64 * 500);
    expect(events).toEqual(['normal']);
  });

  it('proceeding: a retransmission re-sends the last provisional', () => {
    const { layer, rec, req, tx } = start();
    tx.respond(createResponse(req, 100, 'Trying'));
    expect(tx.state.name).toBe('proceeding');
    layer.receiveRequest(req, source());
    expect(rec.labels()).toEqual(['100', '100']);
  });

  it('completed over UDP: retransmissions re-send the final until Timer J (64*T1)', () => {
    const { clock, layer, rec, req, tx, events } = start();
    expect(tx.respond(createResponse(req, 200, 'OK', { toTag: 't' }))).toBe(true);
    expect(tx.respond(createResponse(req, 500, 'Oops', { toTag: 't' }))).toBe(false);
    clock.advance(10000);
    layer.receiveRequest(req, source());
    expect(rec.labels()).toEqual(['200', '200']);
    clock.advance(64 * 500 - 10000 - 1);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['normal']);
    expect(tx.state).toEqual({ name: 'terminated', reason: 'normal' });
    expect(layer.size()).toBe(0);
  });

  it('completed over TCP: Timer J = 0, the transaction ends with the final', () => {
    const { layer, req, tx, events, clock } = start('tcp');
    tx.respond(createResponse(req, 200, 'OK', { toTag: 't' }));
    expect(events).toEqual(['normal']);
    expect(layer.size()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('a retransmission after termination is a new request', () => {
    const { clock, layer, req, tx } = start();
    tx.respond(createResponse(req, 200, 'OK', { toTag: 't' }));
    clock.advance(32000);
    expect(layer.receiveRequest(req, source()).kind).toBe('new');
  });

  it('an unanswered request is dropped after maxNonInviteLifetime', () => {
    const { clock, layer, events } = start();
    clock.advance(40000);
    expect(events).toEqual(['lifetime']);
    expect(layer.size()).toBe(0);
  });
});
