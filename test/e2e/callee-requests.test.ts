// Requests inside a dialog go both ways through the record-routing node: two
// scripted UAs (npm `sip`) set up a call through the node, then the callee
// (gateway) sends a re-INVITE and a BYE back to the caller along its route
// set (RFC 3261 §12.1.1, §16.12), and the caller sends a BYE the other way.
// Over UDP and TCP.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sip, { type Message, type Via } from 'sip';
import { startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { ackFor, inDialogRequest, newTag, ScriptedUa, uacDialog, uasDialog, uriOf, type Dialog, type Received, type SipTransport } from './sip-ua.ts';

const sdp = (user: string, port: number) =>
  ['v=0', `o=${user} 1 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

/** The callee's first CSeq: its own number space, apart from the caller's */
const CALLEE_FIRST_SEQ = 700;

interface Call {
  callId: string;
  callerTag: string;
  calleeTag: string;
  caller: Dialog;
  callee: Dialog;
}

for (const transport of ['udp', 'tcp'] as const satisfies readonly SipTransport[]) {
  describe(`in-dialog requests through the node over ${transport.toUpperCase()}`, () => {
    let node: SbcNodeHandle | undefined;
    let caller: ScriptedUa;
    let gateway: ScriptedUa;
    const tp = transport === 'tcp' ? ';transport=tcp' : '';
    /** the node's Record-Route URI parameters: loose routing, the transport on TCP, and the caller's From tag (ftag: which side sends a later request) */
    const rrParams = (ftag: string) => (transport === 'tcp' ? { lr: null, transport: 'tcp', ftag } : { lr: null, ftag });

    beforeAll(async () => {
      caller = await ScriptedUa.start({ name: 'caller', transport });
      gateway = await ScriptedUa.start({ name: 'gw', transport });
      node = await startSbcNode({
        gateways: [{ host: '127.0.0.1', port: gateway.port, transport }],
        transport,
        config: { log: { level: 'warn' } },
      });
    });

    afterAll(async () => {
      caller?.close();
      gateway?.close();
      await node?.stop();
    });

    const nodePort = () => node!.port;
    const log = () => node?.logTail(2000) ?? '';

    /** The top Via is the node's: the request came through it. */
    function expectViaOfNode(via: Via[] | undefined, below: Via): void {
      expect(via, log()).toHaveLength(2);
      expect(via![0]).toMatchObject({ host: '127.0.0.1', port: nodePort(), protocol: transport.toUpperCase() });
      expect(via![0].params.branch).toMatch(/^z9hG4bK/);
      expect(via![1].params.branch).toBe(below.params.branch);
    }

    /** What a request sent along the route set looks like when it reaches the other UA. */
    function expectRelayed(got: Received, sent: Message, from: ScriptedUa, to: ScriptedUa): void {
      const rq = got.rq;
      expect(rq.method).toBe(sent.method);
      expect(uriOf({ uri: rq.uri!, params: {} })).toBe(to.contactUri);
      expectViaOfNode(rq.headers.via, sent.headers.via![0]);
      expect(rq.headers['call-id']).toBe(sent.headers['call-id']);
      expect(rq.headers.from?.params.tag).toBe(sent.headers.from?.params.tag);
      expect(rq.headers.to?.params.tag).toBe(sent.headers.to?.params.tag);
      expect(rq.headers.cseq).toEqual(sent.headers.cseq);
      expect(Number(rq.headers['max-forwards'])).toBe(69);
      // the node consumed its own Route entry (loose routing, §16.4) and there is no other
      expect(rq.headers.route ?? []).toEqual([]);
      // it came in from the node's socket (UDP) or a connection from the node (TCP)
      expect(got.remote.address).toBe('127.0.0.1');
      if (transport === 'udp') expect(got.remote.port).toBe(nodePort());
      expect(from.unexpected(String(sent.headers['call-id']))).toEqual([]);
    }

    /** Caller INVITEs through the node; the gateway rings, answers with the Record-Route; the caller ACKs. */
    async function establishCall(): Promise<Call & { invite: Message; atGateway: Received; ringing: Message; answer: Message; allResponses: Message[]; ackSent: Message; ackAtGateway: Received }> {
      const callId = `${randomBytes(8).toString('hex')}@caller`;
      const callerTag = newTag();
      const calleeTag = newTag();
      const invite: Message = {
        method: 'INVITE',
        uri: `sip:gw@127.0.0.1:${nodePort()}${tp}`,
        headers: {
          via: [],
          to: { uri: 'sip:gw@127.0.0.1', params: {} },
          from: { uri: 'sip:caller@127.0.0.1', params: { tag: callerTag } },
          'call-id': callId,
          cseq: { seq: 1, method: 'INVITE' },
          contact: [caller.contact],
          'max-forwards': 70,
          'content-type': 'application/sdp',
        },
        content: sdp('caller', 40000),
      };
      const tx = caller.request(invite);
      const atGateway = await gateway.nextRequest('INVITE', callId).catch((e: Error) => { throw new Error(`${e.message}\n${log()}`); });
      gateway.reply(atGateway.rq, 180, 'Ringing', { toTag: calleeTag, headers: { contact: [gateway.contact], 'record-route': atGateway.rq.headers['record-route'] } });
      const ringing = await tx.response(180);
      gateway.reply(atGateway.rq, 200, 'OK', { toTag: calleeTag, headers: { contact: [gateway.contact], 'record-route': atGateway.rq.headers['record-route'] }, sdp: sdp('gw', 40002) });
      const answer = await tx.response('final');
      const callerDialog = uacDialog(tx.sent, answer);
      const ackSent = ackFor(callerDialog, 1);
      caller.ack(ackSent);
      const ackAtGateway = await gateway.nextRequest('ACK', callId);
      return {
        callId, callerTag, calleeTag, invite: tx.sent, atGateway, ringing, answer, allResponses: tx.responses, ackSent, ackAtGateway,
        caller: callerDialog,
        callee: uasDialog(atGateway.rq, calleeTag, CALLEE_FIRST_SEQ),
      };
    }

    it('sets up a call: the gateway sees the node in Via and Record-Route, the caller gets 180, 200 and the ACK reaches the gateway', async () => {
      const c = await establishCall();
      const got = c.atGateway.rq;
      // INVITE at the gateway
      expectViaOfNode(got.headers.via, c.invite.headers.via![0]);
      expect(got.headers['call-id']).toBe(c.callId);
      expect(got.headers.from?.params.tag).toBe(c.callerTag);
      expect(got.headers.to?.params.tag ?? undefined).toBeUndefined();
      expect(Number(got.headers['max-forwards'])).toBe(69);
      expect(got.content).toBe(c.invite.content);
      expect(uriOf(Array.isArray(got.headers.contact) ? got.headers.contact[0] : undefined)).toBe(caller.contactUri);
      const rr = got.headers['record-route'] ?? [];
      expect(rr, log()).toHaveLength(1);
      const rrUri = rr[0].uri;
      expect(typeof rrUri === 'object' ? rrUri : undefined).toMatchObject({
        host: '127.0.0.1',
        port: nodePort(),
        params: rrParams(c.callerTag),
      });
      // responses at the caller: one 100 from the node, then the 180 and the 200, with the node's Via gone.
      const statuses = c.allResponses.map((r) => r.status);
      expect(statuses).toEqual([100, 180, 200]);
      for (const rs of [c.ringing, c.answer]) {
        expect(rs.headers.via).toHaveLength(1);
        expect(rs.headers.via![0].params.branch).toBe(c.invite.headers.via![0].params.branch);
        expect(rs.headers['call-id']).toBe(c.callId);
        expect(rs.headers.from?.params.tag).toBe(c.callerTag);
        expect(rs.headers.to?.params.tag).toBe(c.calleeTag);
      }
      expect(c.answer.content).toBe(sdp('gw', 40002));
      expect(uriOf((c.answer.headers.contact as { uri: string; params: {} }[])[0])).toBe(gateway.contactUri);
      expect((c.answer.headers['record-route'] ?? []).map((r) => uriOf(r))).toEqual([uriOf(rr[0])]);
      // the caller's route set is the node, its target the gateway's Contact
      expect(c.caller.routeSet.map((r) => sip.parseUri(r.uri))).toEqual([expect.objectContaining({ host: '127.0.0.1', port: nodePort(), params: rrParams(c.callerTag) })]);
      expect(c.caller.remoteTarget).toBe(gateway.contactUri);
      // ACK for the 2xx went along the route set through the node
      expectRelayed(c.ackAtGateway, c.ackSent, caller, gateway);
      expect(c.ackAtGateway.rq.headers.cseq).toEqual({ seq: 1, method: 'ACK' });
      expect(caller.errors).toEqual([]);
      expect(gateway.errors).toEqual([]);
    });

    it('relays a re-INVITE from the callee to the caller, its 200 back and the callee\'s ACK, then the callee\'s BYE', async () => {
      const c = await establishCall();
      const reinvite = inDialogRequest(c.callee, 'INVITE', gateway.contact, sdp('gw', 40004));
      expect(reinvite.uri).toBe(caller.contactUri);
      expect(reinvite.headers.route?.map((r) => r.uri)).toEqual(c.caller.routeSet.map((r) => r.uri));
      const tx = gateway.request(reinvite);
      const atCaller = await caller.nextRequest('INVITE', c.callId).catch((e: Error) => { throw new Error(`${e.message}\n${log()}`); });
      expectRelayed(atCaller, tx.sent, gateway, caller);
      expect(atCaller.rq.headers.from?.params.tag).toBe(c.calleeTag);
      expect(atCaller.rq.headers.to?.params.tag).toBe(c.callerTag);
      expect(atCaller.rq.headers.cseq).toEqual({ seq: CALLEE_FIRST_SEQ, method: 'INVITE' });
      expect(atCaller.rq.content).toBe(sdp('gw', 40004));
      caller.reply(atCaller.rq, 200, 'OK', { headers: { contact: [caller.contact] }, sdp: sdp('caller', 40006) });
      const ok = await tx.response('final');
      expect(ok.status).toBe(200);
      expect(ok.headers.via).toHaveLength(1);
      expect(ok.headers.via![0].params.branch).toBe(tx.sent.headers.via![0].params.branch);
      expect(ok.headers['call-id']).toBe(c.callId);
      expect(ok.headers.cseq).toEqual({ seq: CALLEE_FIRST_SEQ, method: 'INVITE' });
      expect(ok.content).toBe(sdp('caller', 40006));
      // the callee ACKs its re-INVITE along the same route set
      const ack = ackFor(c.callee, CALLEE_FIRST_SEQ);
      gateway.ack(ack);
      const ackAtCaller = await caller.nextRequest('ACK', c.callId);
      expectRelayed(ackAtCaller, ack, gateway, caller);
      expect(ackAtCaller.rq.headers.cseq).toEqual({ seq: CALLEE_FIRST_SEQ, method: 'ACK' });
      // and hangs up: the BYE takes the next CSeq
      const bye = inDialogRequest(c.callee, 'BYE', gateway.contact);
      const byeTx = gateway.request(bye);
      const byeAtCaller = await caller.nextRequest('BYE', c.callId);
      expectRelayed(byeAtCaller, byeTx.sent, gateway, caller);
      expect(byeAtCaller.rq.headers.cseq).toEqual({ seq: CALLEE_FIRST_SEQ + 1, method: 'BYE' });
      caller.reply(byeAtCaller.rq, 200, 'OK');
      expect((await byeTx.response('final')).status).toBe(200);
      expect(caller.unexpected(c.callId)).toEqual([]);
      expect(gateway.unexpected(c.callId)).toEqual([]);
      expect(caller.errors).toEqual([]);
      expect(gateway.errors).toEqual([]);
    });

    it('relays a BYE from the callee to the caller and its 200 back', async () => {
      const c = await establishCall();
      const bye = inDialogRequest(c.callee, 'BYE', gateway.contact);
      const tx = gateway.request(bye);
      const atCaller = await caller.nextRequest('BYE', c.callId).catch((e: Error) => { throw new Error(`${e.message}\n${log()}`); });
      expectRelayed(atCaller, tx.sent, gateway, caller);
      expect(atCaller.rq.headers.from?.params.tag).toBe(c.calleeTag);
      expect(atCaller.rq.headers.to?.params.tag).toBe(c.callerTag);
      expect(atCaller.rq.headers.cseq).toEqual({ seq: CALLEE_FIRST_SEQ, method: 'BYE' });
      caller.reply(atCaller.rq, 200, 'OK');
      const ok = await tx.response('final');
      expect(ok.status).toBe(200);
      expect(ok.headers.via).toHaveLength(1);
      expect(ok.headers['call-id']).toBe(c.callId);
      expect(ok.headers.from?.params.tag).toBe(c.calleeTag);
      expect(ok.headers.to?.params.tag).toBe(c.callerTag);
      expect(ok.headers.cseq).toEqual({ seq: CALLEE_FIRST_SEQ, method: 'BYE' });
      expect(caller.unexpected(c.callId)).toEqual([]);
      expect(gateway.unexpected(c.callId)).toEqual([]);
      expect(caller.errors).toEqual([]);
      expect(gateway.errors).toEqual([]);
    });

    it('relays a BYE from the caller to the gateway and its 200 back', async () => {
      const c = await establishCall();
      const bye = inDialogRequest(c.caller, 'BYE', caller.contact);
      expect(bye.uri).toBe(gateway.contactUri);
      const tx = caller.request(bye);
      const atGateway = await gateway.nextRequest('BYE', c.callId).catch((e: Error) => { throw new Error(`${e.message}\n${log()}`); });
      expectRelayed(atGateway, tx.sent, caller, gateway);
      expect(atGateway.rq.headers.from?.params.tag).toBe(c.callerTag);
      expect(atGateway.rq.headers.to?.params.tag).toBe(c.calleeTag);
      expect(atGateway.rq.headers.cseq).toEqual({ seq: 2, method: 'BYE' });
      gateway.reply(atGateway.rq, 200, 'OK');
      const ok = await tx.response('final');
      expect(ok.status).toBe(200);
      expect(ok.headers.via).toHaveLength(1);
      expect(ok.headers['call-id']).toBe(c.callId);
      expect(ok.headers.cseq).toEqual({ seq: 2, method: 'BYE' });
      expect(caller.unexpected(c.callId)).toEqual([]);
      expect(gateway.unexpected(c.callId)).toEqual([]);
      expect(caller.errors).toEqual([]);
      expect(gateway.errors).toEqual([]);
    });
  });
}
