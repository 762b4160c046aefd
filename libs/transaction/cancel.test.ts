import { describe, expect, it } from 'vitest';
import { createResponse } from '#libs/sip';
import type { InviteClientTransaction } from './client-invite.ts';
import type { InviteServerTransaction } from './server-invite.ts';
import { makeRequest, makeResponse, setup, source, target, timesOf } from './test-support.ts';

function forwarded(config = {}) {
  const s = setup({ frTimer: 0, ...config });
  const invite = makeRequest('INVITE', { branch: 'z9hG4bKbranch9', routes: ['<sip:p1.example.net;lr>', '<sip:p2.example.net;lr>'] });
  const tx = s.layer.sendRequest(invite, target()) as InviteClientTransaction;
  const events: string[] = [];
  tx.on('final', (e) => events.push(`final:${e.response.status}${e.local ? ':local' : ''}`));
  tx.on('timeout', (e) => events.push(`timeout:${e.timer}`));
  tx.on('terminated', (e) => events.push(`terminated:${e.reason}`));
  const respond = (status: number) => s.layer.receiveResponse(makeResponse(invite, status, 'X', status === 100 ? undefined : 'gw'), target());
  return { ...s, invite, tx, events, respond };
}

describe('cancelBranch (RFC 3261 §9.1, §16.10)', () => {
  it('after a provisional: CANCEL goes out at once with exactly the §9.1 headers and a Reason', () => {
    const { layer, rec, tx, respond } = forwarded();
    respond(180);
    expect(layer.cancelBranch(tx, 'SIP;cause=200;text="Call completed elsewhere"')).toBe('sent');
    expect(rec.labels()).toEqual(['INVITE', 'CANCEL']);
    expect(rec.sent[1].target).toEqual(target());
    expect(rec.sent[1].msg.serialize().toString('latin1')).toBe(
      [
        'CANCEL sip:bob@example.com SIP/2.0',
        'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbranch9',
        'Route: <sip:p1.example.net;lr>',
        'Route: <sip:p2.example.net;lr>',
        'Max-Forwards: 69',
        'From: "Alice" <sip:alice@example.org>;tag=fromtag1',
        'To: <sip:bob@example.com>',
        'Call-ID: call-1@example.org',
        'CSeq: 1 CANCEL',
        'Reason: SIP;cause=200;text="Call completed elsewhere"',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    expect(layer.cancelBranch(tx)).toBe('already');
  });

  it('the CANCEL runs as its own non-INVITE client transaction (Timer E, own key), the 487 ends the INVITE', () => {
    const { clock, layer, rec, tx, events, respond } = forwarded();
    respond(180);
    layer.cancelBranch(tx);
    const cancelTx = layer.findClient('z9hG4bKbranch9', 'CANCEL');
    expect(cancelTx?.kind).toBe('non-invite-client');
    expect(layer.size()).toBe(2);
    clock.advance(1600);
    expect(timesOf(rec.sent, 'CANCEL')).toEqual([0, 500, 1500]);
    layer.receiveResponse(makeResponse(cancelTx!.request, 200, 'OK', 'gw'), target());
    expect(cancelTx!.state.name).toBe('completed');
    respond(487);
    expect(events).toEqual(['final:487']);
    expect(rec.labels().at(-1)).toBe('ACK');
    clock.runAll();
    expect(layer.size()).toBe(0);
  });

  it('before any provisional: the CANCEL waits and goes out with the first provisional', () => {
    const { layer, rec, tx, respond } = forwarded();
    expect(layer.cancelBranch(tx)).toBe('pending');
    expect(tx.cancelStatus).toBe('pending');
    expect(rec.labels()).toEqual(['INVITE']);
    respond(100);
    expect(rec.labels()).toEqual(['INVITE', 'CANCEL']);
    expect(tx.cancelStatus).toBe('sent');
  });

  it('before any provisional, and a final comes first: no CANCEL at all', () => {
    const { clock, layer, rec, tx, respond } = forwarded();
    expect(layer.cancelBranch(tx)).toBe('pending');
    respond(486);
    clock.runAll();
    expect(rec.labels()).toEqual(['INVITE', 'ACK']);
    expect(layer.cancelBranch(tx)).toBe('too-late');
    expect(layer.size()).toBe(0);
  });

  it('after a final: too-late', () => {
    const { layer, tx, respond } = forwarded();
    respond(180);
    respond(200);
    expect(layer.cancelBranch(tx)).toBe('too-late');
  });

  it('a cancelled branch that never answers ends after 64*T1 with a local 487', () => {
    const { clock, layer, tx, events, respond } = forwarded();
    respond(180);
    layer.cancelBranch(tx);
    clock.advance(64 * 500 - 1);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual(['timeout:cancel', 'final:487:local', 'terminated:timeout']);
    clock.runAll();
    expect(layer.size()).toBe(0);
  });
});

describe('CANCEL received (server side)', () => {
  function upstream() {
    const s = setup();
    const invite = makeRequest('INVITE', { branch: 'z9hG4bKup1' });
    const d = s.layer.receiveRequest(invite, source());
    if (d.kind !== 'new') throw new Error('expected new');
    const tx = d.tx as InviteServerTransaction;
    const cancels: string[] = [];
    tx.on('cancel', (e) => cancels.push(e.cancel.method));
    return { ...s, invite, tx, cancels };
  }

  it('matches the INVITE by branch, is answered 200 at once, and raises `cancel` on the INVITE', () => {
    const { layer, rec, tx, cancels } = upstream();
    const newReqs: string[] = [];
    layer.on('request', (e) => newReqs.push(e.msg.method));
    const cancel = makeRequest('CANCEL', { branch: 'z9hG4bKup1' });
    const d = layer.receiveRequest(cancel, source());
    expect(d.kind).toBe('cancel');
    if (d.kind !== 'cancel') return;
    expect(d.invite).toBe(tx);
    expect(d.cancelled).toBe(true);
    expect(d.tx).not.toBe(tx); // its own transaction
    expect(cancels).toEqual(['CANCEL']);
    expect(newReqs).toEqual([]);
    expect(rec.labels()).toEqual(['100', '200']);
    expect(rec.sent[1].msg.cseq()).toEqual({ seq: 1, method: 'CANCEL' });
    // a CANCEL retransmission re-sends the 200, the INVITE hears nothing more
    expect(layer.receiveRequest(cancel, source()).kind).toBe('retransmission');
    expect(rec.labels()).toEqual(['100', '200', '200']);
    expect(cancels).toEqual(['CANCEL']);
    // the proxy answers the INVITE 487 (after its branches are cancelled)
    tx.respond(createResponse(tx.request, 487, 'Request Terminated', { toTag: 'p' }));
    expect(tx.state.name).toBe('completed');
  });

  it('a CANCEL after the final is still answered 200 but changes nothing', () => {
    const { layer, rec, tx, invite, cancels } = upstream();
    tx.respond(createResponse(invite, 486, 'Busy Here', { toTag: 'p' }));
    const d = layer.receiveRequest(makeRequest('CANCEL', { branch: 'z9hG4bKup1' }), source());
    expect(d).toMatchObject({ kind: 'cancel', cancelled: false });
    expect(cancels).toEqual([]);
    expect(rec.labels()).toEqual(['100', '486', '200']);
  });

  it('a CANCEL matching nothing becomes a new request for the proxy (stateless forward or 481)', () => {
    const s = setup();
    const seen: string[] = [];
    s.layer.on('request', (e) => seen.push(`${e.tx.kind}:${e.msg.method}`));
    const d = s.layer.receiveRequest(makeRequest('CANCEL', { branch: 'z9hG4bKnothing' }), source());
    expect(d.kind).toBe('new');
    expect(seen).toEqual(['non-invite-server:CANCEL']);
    expect(s.rec.sent).toHaveLength(0);
  });
});
