import { describe, expect, it } from 'vitest';
import type { InviteClientTransaction } from './client-invite.ts';
import { makeRequest, makeResponse, setup, target, timesOf } from './test-support.ts';
import type { ClientOptions, ClientTransactionEvents, Proto, TransactionConfig } from './index.ts';

function start(proto: Proto = 'udp', config: Partial<TransactionConfig> = {}, opts: ClientOptions = {}) {
  const s = setup({ frTimer: 0, ...config });
  const invite = makeRequest('INVITE', { transport: proto === 'udp' ? 'UDP' : 'TCP', branch: 'z9hG4bKfwd1', routes: ['<sip:edge.example.net;lr>'] });
  const tx = s.layer.sendRequest(invite, target(proto), opts) as InviteClientTransaction;
  const events: string[] = [];
  const finals: ClientTransactionEvents['final'][] = [];
  tx.on('provisional', (e) => events.push(`provisional:${e.response.status}`));
  tx.on('final', (e) => {
    finals.push(e);
    events.push(`final:${e.response.status}${e.local ? ':local' : ''}${e.first ? '' : ':again'}`);
  });
  tx.on('timeout', (e) => events.push(`timeout:${e.timer}`));
  tx.on('terminated', (e) => events.push(`terminated:${e.reason}`));
  const respond = (status: number, toTag = 'callee1') => s.layer.receiveResponse(makeResponse(invite, status, 'X', status === 100 ? undefined : toTag), target(proto));
  return { ...s, invite, tx, events, finals, respond };
}

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  it('UDP calling: Timer A doubles without cap, Timer B gives a local 408 at 64*T1', () => {
    const { clock, rec, layer, events, finals, tx } = start();
    expect(tx.kind).toBe('invite-client');
    clock.advance(40000);
    expect(timesOf(rec.sent, 'INVITE')).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(events).toEqual(['timeout:B', 'final:408:local', 'terminated:timeout']);
    expect(finals[0]).toMatchObject({ local: true, cause: 'timeout', timer: 'B' });
    expect(layer.size()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('TCP calling: no Timer A, Timer B still fires', () => {
    const { clock, rec, events } = start('tcp');
    clock.advance(32000);
    expect(rec.labels()).toEqual(['INVITE']);
    expect(events).toEqual(['timeout:B', 'final:408:local', 'terminated:timeout']);
  });

  it('a provisional stops A and B; more provisionals are passed up', () => {
    const { clock, rec, events, tx, respond } = start();
    clock.advance(600);
    respond(100);
    respond(180);
    expect(tx.state.name).toBe('proceeding');
    clock.advance(60000);
    expect(timesOf(rec.sent, 'INVITE')).toEqual([0, 500]);
    expect(events).toEqual(['provisional:100', 'provisional:180']);
  });

  it('non-2xx over UDP: hop-by-hop ACK, final once, ACK re-sent on retransmission, Timer D', () => {
    const { clock, rec, layer, events, tx, respond } = start();
    respond(180);
    respond(486);
    expect(tx.state.name).toBe('completed');
    expect(rec.labels()).toEqual(['INVITE', 'ACK']);
    respond(486);
    expect(rec.labels()).toEqual(['INVITE', 'ACK', 'ACK']);
    expect(rec.sent[2].target).toEqual(target());
    clock.advance(31999);
    expect(layer.size()).toBe(1);
    clock.advance(1);
    expect(events).toEqual(['provisional:180', 'final:486', 'terminated:normal']);
    expect(layer.size()).toBe(0);
  });

  it('non-2xx over TCP: ACK sent and Timer D = 0', () => {
    const { layer, rec, events, respond } = start('tcp');
    respond(503);
    expect(rec.labels()).toEqual(['INVITE', 'ACK']);
    expect(events).toEqual(['final:503', 'terminated:normal']);
    expect(layer.size()).toBe(0);
  });

  it('the hop-by-hop ACK carries exactly the RFC 3261 §17.1.1.3 headers', () => {
    const { rec, respond } = start();
    respond(404, 'gw-tag');
    const ack = rec.sent[1].msg;
    expect(ack.serialize().toString('latin1')).toBe(
      [
        'ACK sip:bob@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKfwd1',
        'Route: <sip:edge.example.net;lr>',
        'Max-Forwards: 69',
        'From: "Alice" <sip:alice@example.org>;tag=fromtag1',
        'To: <sip:bob@example.com>;tag=gw-tag',
        'Call-ID: call-1@example.org',
        'CSeq: 1 ACK',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  });

  it('2xx: passed up, no ACK generated; RFC 6026 Accepted passes later 2xx up until Timer M', () => {
    const { clock, rec, layer, events, tx, respond } = start();
    respond(200, 'a');
    expect(tx.state.name).toBe('accepted');
    respond(200, 'a'); // retransmission
    respond(200, 'b'); // another fork
    respond(486, 'c'); // ignored in accepted
    expect(rec.labels()).toEqual(['INVITE']);
    clock.advance(64 * 500);
    expect(events).toEqual(['final:200', 'final:200:again', 'final:200:again', 'terminated:normal']);
    expect(layer.size()).toBe(0);
  });

  it('lingering, it lets go of every listener but final and terminated (only those can still fire)', () => {
    const { tx, respond } = start();
    respond(180);
    expect(['provisional', 'final', 'timeout', 'terminated'].map((e) => tx.listenerCount(e as keyof ClientTransactionEvents))).toEqual([1, 1, 1, 1]);
    respond(200, 'a');
    expect(['provisional', 'final', 'timeout', 'terminated'].map((e) => tx.listenerCount(e as keyof ClientTransactionEvents))).toEqual([0, 1, 0, 1]);
  });

  it('Timer C: restarted by each provisional; on expiry CANCEL + local 408, the 487 is ACKed silently', () => {
    const { clock, rec, layer, events, finals, tx, respond } = start('udp', { frInvTimer: 60000, maxInviteLifetime: 90000 });
    clock.advance(100);
    respond(180);
    clock.advance(30000);
    respond(183); // C now due at 90100
    clock.advance(59999);
    expect(events).toEqual(['provisional:180', 'provisional:183']);
    clock.advance(1);
    expect(events).toEqual(['provisional:180', 'provisional:183', 'timeout:C', 'final:408:local']);
    expect(finals[0]).toMatchObject({ local: true, cause: 'timeout', timer: 'C' });
    expect(rec.labels()).toEqual(['INVITE', 'CANCEL']);
    expect(tx.cancelStatus).toBe('sent');
    // a late provisional is not passed up any more
    respond(180);
    respond(487);
    expect(rec.labels()).toEqual(['INVITE', 'CANCEL', 'ACK']);
    expect(events.slice(4)).toEqual([]);
    clock.runAll();
    expect(events.slice(4)).toEqual(['terminated:normal']);
    expect(layer.size()).toBe(0);
  });

  it('Timer C without any provisional behaves like a 408 and sends no CANCEL', () => {
    const { clock, rec, events } = start('tcp', { frInvTimer: 10000 });
    clock.advance(10000);
    expect(events).toEqual(['timeout:C', 'final:408:local', 'terminated:timeout']);
    expect(rec.labels()).toEqual(['INVITE']);
  });

  it('a 2xx after the Timer C local 408 is still passed up (it makes a dialog)', () => {
    const { clock, events, respond } = start('udp', { frInvTimer: 5000 });
    respond(180);
    clock.advance(5000);
    respond(200);
    expect(events).toEqual(['provisional:180', 'timeout:C', 'final:408:local', 'final:200:again']);
  });

  it('fr_timer (per transaction): no response -> timeout fr + local 408 for failover; a 100 disarms it', () => {
    const a = start('udp', {}, { frTimer: 2000 });
    a.clock.advance(2000);
    expect(timesOf(a.rec.sent, 'INVITE')).toEqual([0, 500, 1500]);
    expect(a.events).toEqual(['timeout:fr', 'final:408:local', 'terminated:timeout']);
    expect(a.finals[0]).toMatchObject({ local: true, cause: 'timeout', timer: 'fr' });

    const b = start('udp', { frTimer: 2000 });
    b.clock.advance(300);
    b.respond(100);
    b.clock.advance(10000);
    expect(b.events).toEqual(['provisional:100']);
  });

  it('a transport error is a local 503 (RFC 3261 §16.9), reported after the caller could listen', async () => {
    const s = setup({ frTimer: 0 }, () => Promise.reject(new Error('ECONNREFUSED')));
    const tx = s.layer.sendRequest(makeRequest('INVITE', { branch: 'z9hG4bKerr' }), target('tcp'));
    const got: string[] = [];
    tx.on('final', (e) => got.push(`${e.response.status}:${e.local ? e.cause : ''}`));
    tx.on('terminated', (e) => got.push(e.reason));
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual(['503:transport-error', 'transport-error']);
    expect(s.layer.size()).toBe(0);
    expect(s.clock.pending()).toBe(0);
  });
});
