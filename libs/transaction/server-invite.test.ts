import { describe, expect, it } from 'vitest';
import { createResponse } from '#libs/sip';
import type { InviteServerTransaction } from './server-invite.ts';
import { makeRequest, setup, source, timesOf } from './test-support.ts';
import type { Proto } from './types.ts';

function start(proto: Proto = 'udp', config = {}) {
  const s = setup(config);
  const invite = makeRequest('INVITE', { transport: proto === 'udp' ? 'UDP' : 'TCP' });
  const d = s.layer.receiveRequest(invite, source(proto));
  if (d.kind !== 'new' || d.tx.kind !== 'invite-server') throw new Error(`unexpected ${d.kind}`);
  const tx: InviteServerTransaction = d.tx;
  const events: string[] = [];
  tx.on('ack', () => events.push('ack'));
  tx.on('cancel', () => events.push('cancel'));
  tx.on('terminated', (e) => events.push(`terminated:${e.reason}`));
  return { ...s, invite, tx, events };
}

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  it('sends 100 Trying at once, without To tag, and passes the INVITE up as a new request', () => {
    const s = setup();
    const seen: string[] = [];
    s.layer.on('request', (e) => seen.push(e.msg.method));
    const d = s.layer.receiveRequest(makeRequest('INVITE'), source());
    expect(d.kind).toBe('new');
    expect(seen).toEqual(['INVITE']);
    expect(s.rec.labels()).toEqual(['100']);
    expect(s.rec.sent[0].msg.toTag()).toBeUndefined();
    expect(s.rec.sent[0].target).toEqual({ proto: 'udp', host: '192.0.2.10', port: 5060 });
    expect(s.layer.size()).toBe(1);
  });

  it('does not send 100 when send100Trying is off', () => {
    const { rec } = start('udp', { send100Trying: false });
    expect(rec.sent).toHaveLength(0);
  });

  it('proceeding: an INVITE retransmission re-sends the latest provisional', () => {
    const { layer, rec, tx, invite } = start();
    expect(layer.receiveRequest(invite, source()).kind).toBe('retransmission');
    expect(tx.respond(createResponse(invite, 180, 'Ringing', { toTag: 'tt' }))).toBe(true);
    layer.receiveRequest(invite, source());
    expect(rec.labels()).toEqual(['100', '100', '180', '180']);
    expect(tx.state.name).toBe('proceeding');
  });

  it('non-2xx over UDP: Timer G doubles up to T2, Timer H gives up after 64*T1', () => {
    const { clock, layer, rec, tx, invite, events } = start();
    clock.advance(100);
    tx.respond(createResponse(invite, 486, 'Busy Here', { toTag: 'tt' }));
    expect(tx.state.name).toBe('completed');
    clock.advance(40000);
    // sent at 100, then G at +500, +1000, +2000, +4000, +4000 ... until H at 100+32000
    expect(timesOf(rec.sent, '486')).toEqual([100, 600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600]);
    expect(events).toEqual(['terminated:ack-timeout']);
    expect(tx.state).toEqual({ name: 'terminated', reason: 'ack-timeout' });
    expect(layer.size()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('completed: an INVITE retransmission re-sends the final; ACK confirms, Timer I = T4 absorbs ACK retransmissions', () => {
    const { clock, layer, rec, tx, invite, events } = start();
    tx.respond(createResponse(invite, 404, 'Not Found', { toTag: 'tt' }));
    layer.receiveRequest(invite, source());
    expect(rec.labels()).toEqual(['100', '404', '404']);
    const ack = makeRequest('ACK', { toTag: 'tt' });
    expect(layer.receiveRequest(ack, source())).toEqual({ kind: 'ack-absorbed', tx });
    expect(tx.state.name).toBe('confirmed');
    expect(events).toEqual(['ack']);
    // G stopped: nothing more is sent, ACK retransmissions are swallowed
    expect(layer.receiveRequest(ack, source()).kind).toBe('ack-absorbed');
    expect(layer.receiveRequest(invite, source()).kind).toBe('retransmission');
    clock.advance(4999);
    expect(rec.labels()).toEqual(['100', '404', '404']);
    expect(layer.size()).toBe(1);
    clock.advance(1);
    expect(events).toEqual(['ack', 'terminated:normal']);
    expect(layer.size()).toBe(0);
  });

  it('TCP: no Timer G, Timer I = 0 (ACK terminates at once), Timer H still bounds the wait', () => {
    const a = start('tcp');
    a.tx.respond(createResponse(a.invite, 486, 'Busy Here', { toTag: 'tt' }));
    a.clock.advance(20000);
    expect(a.rec.labels()).toEqual(['100', '486']);
    a.layer.receiveRequest(makeRequest('ACK', { transport: 'TCP', toTag: 'tt' }), source('tcp'));
    expect(a.events).toEqual(['ack', 'terminated:normal']);
    expect(a.layer.size()).toBe(0);

    const b = start('tcp');
    b.tx.respond(createResponse(b.invite, 486, 'Busy Here', { toTag: 'tt' }));
    b.clock.advance(31999);
    expect(b.events).toEqual([]);
    b.clock.advance(1);
    expect(b.events).toEqual(['terminated:ack-timeout']);
    expect(b.rec.labels()).toEqual(['100', '486']);
  });

  it('2xx: RFC 6026 Accepted absorbs INVITE retransmissions by re-sending the 2xx, forwards later 2xx, ends on Timer L', () => {
    const { clock, layer, rec, tx, invite, events } = start();
    tx.respond(createResponse(invite, 200, 'OK', { toTag: 'a' }));
    expect(tx.state.name).toBe('accepted');
    expect(layer.receiveRequest(invite, source()).kind).toBe('retransmission');
    expect(tx.respond(createResponse(invite, 200, 'OK', { toTag: 'b' }))).toBe(true);
    expect(tx.respond(createResponse(invite, 486, 'Busy', { toTag: 'c' }))).toBe(false);
    expect(rec.labels()).toEqual(['100', '200', '200', '200']);
    expect(rec.sent[3].msg.toTag()).toBe('b');
    clock.advance(64 * 500 - 1);
    expect(layer.size()).toBe(1);
    clock.advance(1);
    expect(events).toEqual(['terminated:normal']);
    expect(layer.size()).toBe(0);
    expect(rec.sent).toHaveLength(4); // no timer-driven 2xx retransmission
  });

  it('an ACK for a 2xx is not absorbed: it goes up as an end-to-end ACK and creates no transaction', () => {
    const { layer, tx, invite, events } = start();
    const e2e: string[] = [];
    layer.on('ack', (e) => e2e.push(e.msg.topVia()?.params.get('branch') ?? ''));
    tx.respond(createResponse(invite, 200, 'OK', { toTag: 'a' }));
    // the usual case: a new branch
    const ack = makeRequest('ACK', { branch: 'z9hG4bKack2xx', toTag: 'a', cseq: 1 });
    expect(layer.receiveRequest(ack, source())).toEqual({ kind: 'ack-end-to-end' });
    // a UA reusing the INVITE branch: Accepted passes it to the user too (RFC 6026)
    expect(layer.receiveRequest(makeRequest('ACK', { toTag: 'a' }), source()).kind).toBe('ack-end-to-end');
    expect(e2e).toEqual(['z9hG4bKack2xx', 'z9hG4bKtest1']);
    expect(events).toEqual([]);
    expect(layer.size()).toBe(1);
  });

  it('a final cannot be replaced and provisionals after it are dropped', () => {
    const { tx, invite, rec } = start();
    expect(tx.respond(createResponse(invite, 603, 'Decline', { toTag: 'x' }))).toBe(true);
    expect(tx.respond(createResponse(invite, 180, 'Ringing', { toTag: 'x' }))).toBe(false);
    expect(tx.respond(createResponse(invite, 200, 'OK', { toTag: 'x' }))).toBe(false);
    expect(rec.labels()).toEqual(['100', '603']);
  });

  it('an unanswered INVITE is dropped after maxInviteLifetime', () => {
    const { clock, layer, events } = start('udp', { maxInviteLifetime: 150000, frInvTimer: 100000 });
    clock.advance(149999);
    expect(layer.size()).toBe(1);
    clock.advance(1);
    expect(events).toEqual(['terminated:lifetime']);
    expect(layer.size()).toBe(0);
  });

  it('responses go to received/rport of the top Via over UDP, back to the connection over TCP', () => {
    const s = setup();
    const natted = makeRequest('INVITE', { host: '10.0.0.5', port: 5062 });
    // client behind NAT asked for rport; the packet came from 203.0.113.9:40000
    natted.setTopViaParam('rport', null);
    s.layer.receiveRequest(natted, { proto: 'udp', host: '203.0.113.9', port: 40000 });
    const plain = makeRequest('INVITE', { branch: 'z9hG4bKplain', host: '10.0.0.6', port: 5070 });
    s.layer.receiveRequest(plain, { proto: 'udp', host: '203.0.113.10', port: 41000 });
    const tcp = makeRequest('INVITE', { branch: 'z9hG4bKtcp', transport: 'TCP', host: '10.0.0.7', port: 5060 });
    s.layer.receiveRequest(tcp, { proto: 'tcp', host: '203.0.113.11', port: 52000 });
    expect(s.rec.sent.map((x) => x.target)).toEqual([
      { proto: 'udp', host: '203.0.113.9', port: 40000 },
      { proto: 'udp', host: '203.0.113.10', port: 5070 },
      { proto: 'tcp', host: '203.0.113.11', port: 52000 },
    ]);
  });

  it('a send failure ends the transaction with transport-error', async () => {
    const s = setup({}, () => {
      throw new Error('EHOSTUNREACH');
    });
    const d = s.layer.receiveRequest(makeRequest('INVITE'), source());
    if (d.kind !== 'new') throw new Error('expected new');
    const reasons: string[] = [];
    d.tx.on('terminated', (e) => reasons.push(e.reason));
    expect(reasons).toEqual([]); // reported asynchronously, after listeners can attach
    await Promise.resolve();
    expect(reasons).toEqual(['transport-error']);
    expect(s.layer.size()).toBe(0);
  });
  it('keeps only the bytes of its final: retransmissions re-send them unchanged, parsed back', () => {
    const { layer, rec, tx, invite } = start();
    const ok = createResponse(invite, 200, 'OK', { toTag: 'tt', headers: [['Contact', '<sip:b@192.0.2.20>']] });
    tx.respond(ok);
    const wire = ok.serialize().toString('latin1');
    expect(tx.state.name === 'accepted' && tx.state.final.status).toBe(200);
    layer.receiveRequest(invite, source());
    layer.receiveRequest(invite, source());
    const resent = rec.sent.filter((x) => x.msg.status === 200);
    expect(resent).toHaveLength(3);
    for (const r of resent.slice(1)) {
      expect(r.msg).not.toBe(ok); // the parsed response is not kept
      expect(r.msg.serialize().toString('latin1')).toBe(wire);
    }
  });

  it('Timer G re-sends the non-2xx final byte for byte', () => {
    const { clock, rec, tx, invite } = start();
    const busy = createResponse(invite, 486, 'Busy Here', { toTag: 'tt' });
    tx.respond(busy);
    clock.advance(600);
    const sent = rec.sent.filter((x) => x.msg.status === 486);
    expect(sent).toHaveLength(2);
    expect(sent[1].msg.serialize().equals(busy.serialize())).toBe(true);
  });
});
