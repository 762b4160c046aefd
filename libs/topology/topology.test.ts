// Both hiding modes, in process: what each side receives during whole calls
// (caller-originated and core-originated) names nothing of the other side;
// in-dialog requests and 2xx retransmissions are restored by a node that did
// not see the INVITE; tampered tokens are refused, never routed.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryData, createMemoryState, type DialogStore, type SharedState } from '#libs/state';
import { settleStep, type RequestContext } from '#libs/proxy';
import { createTopohCodec } from '#libs/topoh';
import { createRequest, type SipMessage } from '#libs/sip';
import type { ListenSocketInfo } from '#libs/transport';
import { createTopohHiding } from './topoh.ts';
import { createToposHiding, toposToken } from './topos.ts';
import {
  CALLER, GATEWAY, callerAnswer, callerInvite, gatewayAnswer, inDialog, sentTo, settle, startRigNode, uacDialog, uasDialog, type RigNode,
} from './test-support.ts';

const KEY = 'topology-test-mask-key-0123456789';
const LB = { host: '127.0.0.1', port: 5999 };
const states: SharedState[] = [];
const nodes: RigNode[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) n.close();
  for (const s of states.splice(0)) await s.close();
});

type Mode = 'topoh' | 'topos';

/** Two nodes advertising one load-balancer address, sharing a key (topoh) or a store (topos); `restart` makes node A anew. */
function cluster(mode: Mode): [RigNode, RigNode, () => RigNode] {
  const data = createMemoryData();
  const make = (port: number) => startRigNode(port, (sock: ListenSocketInfo) => {
    if (mode === 'topoh') {
      return createTopohHiding({ codec: createTopohCodec({ maskKey: KEY, maskIp: `${sock.advertisedHost}:${sock.advertisedPort}`, maskCallId: true }), sdp: 'all' });
    }
    const state = createMemoryState({ data });
    states.push(state);
    return createToposHiding({ dialogs: state.dialogs, maskCallId: true, sdp: 'all', branchExpireMs: 180_000, dialogExpireMs: 3_600_000 });
  }, LB);
  const pair: [RigNode, RigNode] = [make(5060), make(5062)];
  nodes.push(...pair);
  const restart = () => {
    pair[0].close();
    const fresh = make(5060);
    nodes.push(fresh);
    return fresh;
  };
  return [...pair, restart];
}

/** Nothing of the core in what the public side got (and the check can fail). */
function expectNoCoreIn(texts: string[], coreCallIds: string[] = []): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    for (const needle of ['127.0.0.20', 'core.internal', `:${GATEWAY.port}`, ...coreCallIds]) expect(t, t).not.toContain(needle);
  }
}

function expectNoPublicIn(texts: string[]): void {
  for (const t of texts) for (const needle of ['127.0.0.10', `:${CALLER.port}`, 'public.example>;tag=alice1;x']) expect(t, t).not.toContain(needle);
}

const only = (list: { msg: SipMessage }[], pred: (m: SipMessage) => boolean): SipMessage => {
  const found = list.map((s) => s.msg).filter(pred);
  expect(found).toHaveLength(1);
  return found[0];
};

for (const mode of ['topoh', 'topos'] as const) {
  describe(`${mode}: a caller-originated call`, () => {
    it('hides each side from the other in every message, with in-dialog requests through the other node', async () => {
      const [a, b] = cluster(mode);
      const callId = 'caller-call-1@public.example';
      a.deliver(callerInvite(callId, 'z9hG4bK-c1'), CALLER);
      await settle();
      const invite = only(sentTo(a, GATEWAY), (m) => m.method === 'INVITE');
      expect(invite.vias()).toHaveLength(1);
      expect(invite.callId()).not.toBe(callId);
      expectNoPublicIn(sentTo(a, GATEWAY).map((s) => s.text));

      // the gateway rings and answers through node A
      a.deliver(gatewayAnswer(invite, 180, 'Ringing'), GATEWAY);
      a.deliver(gatewayAnswer(invite, 200, 'OK'), GATEWAY);
      await settle();
      const toCaller = sentTo(a, CALLER);
      const ok = only(toCaller, (m) => m.status === 200);
      expect(ok.callId()).toBe(callId);
      expect(ok.vias().map((v) => v.params.get('branch'))).toEqual(['z9hG4bK-c1']);
      expect(ok.contacts()[0].uri?.host).toBe('127.0.0.1');
      expect(ok.body.toString()).toContain('c=IN IP4 127.0.0.1');

      // caller ACK and re-INVITE through node B (the load balancer picked it)
      const caller = uacDialog(callerInvite(callId, 'z9hG4bK-c1'), ok);
      const gwMark = b.sent.length;
      b.deliver(inDialog(caller, 'ACK', CALLER, 'z9hG4bK-ack1', { cseq: 1 }), CALLER);
      await settle();
      const ack = only(sentTo(b, GATEWAY, gwMark), (m) => m.method === 'ACK');
      expect(ack.uri).toBe(`sip:gw@${GATEWAY.address}:${GATEWAY.port}`);
      expect(ack.callId()).toBe(invite.callId());
      expect(ack.vias()).toHaveLength(1);
      if (mode === 'topoh') {
        // the INVITE's branch is its sealed Via stack; the ACK, never answered, carries a plain relayed branch (no seal)
        expect(invite.vias()[0].params.get('branch')).toMatch(/^z9hG4bKsr-/);
        expect(ack.vias()[0].params.get('branch')).toMatch(/^z9hG4bK-sbc2-[0-9a-f]+$/);
      }

      // the gateway's re-INVITE through node B reaches the caller's real Contact
      const gw = uasDialog(invite, 'gw1');
      b.deliver(inDialog(gw, 'INVITE', GATEWAY, 'z9hG4bK-g1', { contact: `<sip:gw@${GATEWAY.address}:${GATEWAY.port}>` }), GATEWAY);
      await settle();
      const reinvite = only(sentTo(b, CALLER), (m) => m.method === 'INVITE');
      expect(reinvite.uri).toBe(`sip:alice@${CALLER.address}:${CALLER.port}`);
      expect(reinvite.vias()).toHaveLength(1);
      expect(reinvite.callId()).toBe(callId);
      const mark = b.sent.length;
      b.deliver(callerAnswer(reinvite, 200, 'OK'), CALLER);
      await settle();
      const reOk = only(sentTo(b, GATEWAY, mark), (m) => m.status === 200);
      expect(reOk.vias()[0].host).toBe('pbx.core.internal');
      expect(reOk.callId()).toBe(invite.callId());

      // UPDATE from the gateway through node A, and one from the caller through node B
      const upMark = a.sent.length;
      a.deliver(inDialog(gw, 'UPDATE', GATEWAY, 'z9hG4bK-gu', { contact: `<sip:gw@${GATEWAY.address}:${GATEWAY.port}>` }), GATEWAY);
      await settle();
      const update = only(sentTo(a, CALLER, upMark), (m) => m.method === 'UPDATE');
      expect(update.uri).toBe(`sip:alice@${CALLER.address}:${CALLER.port}`);
      a.deliver(callerAnswer(update, 200, 'OK'), CALLER);
      await settle();
      expect(only(sentTo(a, GATEWAY, upMark), (m) => m.status === 200).cseq()?.method).toBe('UPDATE');
      const cuMark = b.sent.length;
      b.deliver(inDialog(caller, 'UPDATE', CALLER, 'z9hG4bK-cu', { contact: `<sip:alice@${CALLER.address}:${CALLER.port}>` }), CALLER);
      await settle();
      const cUpdate = only(sentTo(b, GATEWAY, cuMark), (m) => m.method === 'UPDATE');
      expect(cUpdate.uri).toBe(`sip:gw@${GATEWAY.address}:${GATEWAY.port}`);
      b.deliver(gatewayAnswer(cUpdate, 200, 'OK'), GATEWAY);
      await settle();
      expect(only(sentTo(b, CALLER, cuMark), (m) => m.status === 200).callId()).toBe(callId);

      // BYE from the gateway through node B
      b.deliver(inDialog(gw, 'BYE', GATEWAY, 'z9hG4bK-g2'), GATEWAY);
      await settle();
      const bye = only(sentTo(b, CALLER), (m) => m.method === 'BYE');
      expect(bye.uri).toBe(`sip:alice@${CALLER.address}:${CALLER.port}`);
      const byeMark = b.sent.length;
      b.deliver(callerAnswer(bye, 200, 'OK'), CALLER);
      await settle();
      expect(only(sentTo(b, GATEWAY, byeMark), (m) => m.status === 200).cseq()?.method).toBe('BYE');

      expectNoCoreIn([...sentTo(a, CALLER), ...sentTo(b, CALLER)].map((s) => s.text));
    });

    it('lets a restarted node relay a 2xx retransmission it has no transaction for', async () => {
      const [a, , restart] = cluster(mode);
      const callId = 'caller-call-2@public.example';
      a.deliver(callerInvite(callId, 'z9hG4bK-c2'), CALLER);
      await settle();
      const invite = only(sentTo(a, GATEWAY), (m) => m.method === 'INVITE');
      const a2 = restart();
      a2.deliver(gatewayAnswer(invite, 200, 'OK'), GATEWAY);
      await settle();
      const ok = only(sentTo(a2, CALLER), (m) => m.status === 200);
      expect(ok.callId()).toBe(callId);
      expect(ok.vias().map((v) => v.params.get('branch'))).toEqual(['z9hG4bK-c2']);
      expectNoCoreIn(sentTo(a2, CALLER).map((s) => s.text));
    });

    it('refuses a tampered token and sends nothing toward the core', async () => {
      const [a, b] = cluster(mode);
      const callId = 'caller-call-3@public.example';
      a.deliver(callerInvite(callId, 'z9hG4bK-c3'), CALLER);
      await settle();
      const invite = only(sentTo(a, GATEWAY), (m) => m.method === 'INVITE');
      a.deliver(gatewayAnswer(invite, 200, 'OK'), GATEWAY);
      await settle();
      const caller = uacDialog(callerInvite(callId, 'z9hG4bK-c3'), only(sentTo(a, CALLER), (m) => m.status === 200));
      // flip one character inside the token of the remote target
      const t = caller.remoteTarget;
      const i = mode === 'topoh' ? t.indexOf('sr-') + 10 : t.indexOf('tpsh-') + 8;
      caller.remoteTarget = t.slice(0, i) + (t[i] === 'a' ? 'b' : 'a') + t.slice(i + 1);
      const mark = b.sent.length;
      b.deliver(inDialog(caller, 'BYE', CALLER, 'z9hG4bK-bye3'), CALLER);
      await settle();
      expect(sentTo(b, GATEWAY, mark)).toEqual([]);
      const answer = only(sentTo(b, CALLER, mark), (m) => !m.isRequest);
      expect(answer.status).toBe(mode === 'topoh' ? 400 : 481);
    });
  });

  describe(`${mode}: a core-originated call`, () => {
    it('shows the public side neither the core Call-ID nor its addresses; BYE from the caller goes back', async () => {
      const [a, b] = cluster(mode);
      const coreCallId = 'core-secret-callid-1@pbx.core.internal';
      const body = Buffer.from(`v=0\r\no=pbx 1 1 IN IP4 ${GATEWAY.address}\r\ns=-\r\nc=IN IP4 ${GATEWAY.address}\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n`);
      const invite = createRequest({
        method: 'INVITE',
        uri: `sip:alice@${CALLER.address}:${CALLER.port}`,
        headers: [
          ['Via', `SIP/2.0/UDP pbx.core.internal:${GATEWAY.port};branch=z9hG4bK-core1`],
          ['Max-Forwards', '70'],
          ['Route', `<sip:${LB.host}:${LB.port};lr>`],
          ['Record-Route', `<sip:${GATEWAY.address}:${GATEWAY.port};lr>`],
          ['From', '<sip:+15551000@carrier.example>;tag=pbx1'],
          ['To', `<sip:alice@${CALLER.address}>`],
          ['Call-ID', coreCallId],
          ['CSeq', '10 INVITE'],
          ['Contact', `<sip:1000@${GATEWAY.address}:${GATEWAY.port}>`],
          ['Content-Type', 'application/sdp'],
        ],
        body,
      });
      a.deliver(invite, GATEWAY);
      await settle();
      const atCaller = only(sentTo(a, CALLER), (m) => m.method === 'INVITE');
      expect(atCaller.callId()).not.toBe(coreCallId);
      const ok = callerAnswer(atCaller, 200, 'OK');
      ok.setHeader('To', `${atCaller.header('to')};tag=alice9`);
      if (atCaller.hasHeader('record-route')) ok.setHeader('Record-Route', atCaller.headerValues('record-route').join(', '));
      a.deliver(ok, CALLER);
      await settle();
      const okAtCore = only(sentTo(a, GATEWAY), (m) => m.status === 200);
      expect(okAtCore.callId()).toBe(coreCallId);
      expect(okAtCore.vias()[0].host).toBe('pbx.core.internal');
      // the core's record-routing proxy finds itself in the route set again
      expect(okAtCore.recordRoutes().map((r) => r.uriText)).toContain(`sip:${GATEWAY.address}:${GATEWAY.port};lr`);

      // the caller hangs up through node B
      const callerSide = uasDialog(atCaller, 'alice9');
      b.deliver(inDialog(callerSide, 'BYE', CALLER, 'z9hG4bK-cb1'), CALLER);
      await settle();
      const bye = only(sentTo(b, GATEWAY), (m) => m.method === 'BYE');
      expect(bye.callId()).toBe(coreCallId);
      expect(bye.uri).toBe(`sip:1000@${GATEWAY.address}:${GATEWAY.port}`);
      expectNoCoreIn([...sentTo(a, CALLER), ...sentTo(b, CALLER)].map((s) => s.text), [coreCallId, 'core-secret']);
    });
  });
}

describe('topos: a forked INVITE', () => {
  it('keeps one far-end per To-tag: the ACK goes to the branch that answered', async () => {
    const [a, b] = cluster('topos');
    const callId = 'forked-call-1@public.example';
    a.deliver(callerInvite(callId, 'z9hG4bK-f1'), CALLER);
    await settle();
    const invite = only(sentTo(a, GATEWAY), (m) => m.method === 'INVITE');
    const answer = (status: number, reason: string, tag: string, user: string) => {
      const r = gatewayAnswer(invite, status, reason, tag);
      r.setHeader('Contact', `<sip:${user}@${GATEWAY.address}:${GATEWAY.port}>`);
      return r;
    };
    a.deliver(answer(180, 'Ringing', 'fork1', 'desk'), GATEWAY);
    a.deliver(answer(180, 'Ringing', 'fork2', 'mobile'), GATEWAY);
    a.deliver(answer(200, 'OK', 'fork2', 'mobile'), GATEWAY);
    await settle();
    const ok = only(sentTo(a, CALLER), (m) => m.status === 200);
    const caller = uacDialog(callerInvite(callId, 'z9hG4bK-f1'), ok);
    b.deliver(inDialog(caller, 'ACK', CALLER, 'z9hG4bK-fa', { cseq: 1 }), CALLER);
    await settle();
    expect(only(sentTo(b, GATEWAY), (m) => m.method === 'ACK').uri).toBe(`sip:mobile@${GATEWAY.address}:${GATEWAY.port}`);
  });
});

describe('topos: the ACK of a 2xx', () => {
  /** One topos node on a store whose reads are counted (the store itself is the real memory backend). */
  function countedNode(port: number, data: ReturnType<typeof createMemoryData>): { node: RigNode; reads: () => number } {
    const state = createMemoryState({ data });
    states.push(state);
    let reads = 0;
    const d = state.dialogs;
    const dialogs: DialogStore = {
      ...d,
      put: (...a) => d.put(...a),
      get: (t) => { reads++; return d.get(t); },
      getAndExpire: (t, ttl) => { reads++; return d.getAndExpire(t, ttl); },
      getBranch: (t, b) => { reads++; return d.getBranch(t, b); },
    };
    const node = startRigNode(port, () => createToposHiding({ dialogs, maskCallId: true, sdp: 'all', branchExpireMs: 180_000, dialogExpireMs: 3_600_000 }), LB);
    nodes.push(node);
    return { node, reads: () => reads };
  }

  it('is routed without a store read by the node that relayed the 2xx, and with one by any other node', async () => {
    const data = createMemoryData();
    const a = countedNode(5060, data);
    const b = countedNode(5062, data);
    const call = async (callId: string) => {
      a.node.deliver(callerInvite(callId, `z9hG4bK-${callId}`), CALLER);
      await settle();
      const invite = only(sentTo(a.node, GATEWAY), (m) => m.method === 'INVITE' && m.callId() === `tpsc-${toposToken(callId, 'alice1')}`);
      a.node.deliver(gatewayAnswer(invite, 200, 'OK'), GATEWAY);
      await settle();
      const ok = only(sentTo(a.node, CALLER), (m) => m.status === 200 && m.callId() === callId);
      return uacDialog(callerInvite(callId, `z9hG4bK-${callId}`), ok);
    };

    const first = await call('ack-here@public.example');
    const before = a.reads();
    const mark = a.node.sent.length;
    a.node.deliver(inDialog(first, 'ACK', CALLER, 'z9hG4bK-ack-here', { cseq: 1 }), CALLER);
    await settle();
    expect(only(sentTo(a.node, GATEWAY, mark), (m) => m.method === 'ACK').uri).toBe(`sip:gw@${GATEWAY.address}:${GATEWAY.port}`);
    expect(a.reads() - before).toBe(0);
    // the BYE still reads (and cuts short) the stored record
    a.node.deliver(inDialog(first, 'BYE', CALLER, 'z9hG4bK-bye-here', { cseq: 2 }), CALLER);
    await settle();
    expect(a.reads() - before).toBe(1);

    const second = await call('ack-there@public.example');
    b.node.deliver(inDialog(second, 'ACK', CALLER, 'z9hG4bK-ack-there', { cseq: 1 }), CALLER);
    await settle();
    expect(only(sentTo(b.node, GATEWAY), (m) => m.method === 'ACK').uri).toBe(`sip:gw@${GATEWAY.address}:${GATEWAY.port}`);
    expect(b.reads()).toBe(1);
    // an ACK with another CSeq (of a later re-INVITE) is not the 2xx's: read as usual
    const beforeOther = a.reads();
    a.node.deliver(inDialog(second, 'ACK', CALLER, 'z9hG4bK-ack-re', { cseq: 3 }), CALLER);
    await settle();
    expect(a.reads() - beforeOther).toBe(1);
  });
});

describe('topos: storing a dialog-creating request', () => {
  it('leaves the write to the settle step, so it shares a round trip with the dispatcher pin', async () => {
    const state = createMemoryState();
    states.push(state);
    const topos = createToposHiding({ dialogs: state.dialogs, maskCallId: true, sdp: 'all', branchExpireMs: 180_000, dialogExpireMs: 3_600_000 });
    const msg = callerInvite('settled@public.example', 'z9hG4bK-s1');
    const ctx = { msg, inDialog: false, hops: [], recordRoute: true } as unknown as RequestContext;
    expect(topos.restore.run(ctx)).toBe('next');
    // the step returns at once: the record is being written, not yet waited for
    expect(topos.prepare!.run(ctx)).toBe('next');
    expect(ctx.pending).toHaveLength(1);
    expect(await settleStep().run(ctx)).toBe('next');
    expect(await state.dialogs.get(toposToken('settled@public.example', 'alice1'))).toMatchObject({ a: { callId: 'settled@public.example' } });
  });
});
