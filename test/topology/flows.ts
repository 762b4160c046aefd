// Call flows between a public caller and a core gateway through a node (or a
// cluster of nodes behind one advertised address), on the raw UAs of
// raw-ua.ts. Each flow checks that every request got its final response and
// that ACK/BYE reached the other side; the tests look at the bytes.
import { randomBytes } from 'node:crypto';
import { parseUri, type SipMessage } from '#libs/sip';
import {
  dialogAsUac, dialogAsUas, inDialog, isRequest, isResponse, newBranch, newTag, nextHop, request, response, sdp,
  type Addr, type Captured, type Dialog, type RawUa,
} from './raw-ua.ts';

export const CALLER_IP = '127.0.0.10';
export const CORE_IP = '127.0.0.20';
/** the name the gateway writes as its Via sent-by: an internal host name the public side must never see */
export const CORE_HOST = 'pbx.core.internal';
/** the Call-ID of calls the core originates */
export const CORE_CALL_ID = 'core-secret-callid-1@pbx.core.internal';
/** From/To URIs are not hidden (spec): the UAs use public-looking ones so the check is about what is hidden */
const CALLER_AOR = 'sip:alice@example.org';
const CORE_AOR = 'sip:+15550100@carrier.example';
const GW_USER_AGENT = 'User-Agent: CorePBX/4.2';

export interface Scene {
  caller: RawUa;
  gateway: RawUa;
  /** the address the node(s) advertise: hidden route sets must lead there */
  advertised: Addr;
  /** the node the UAs send to (standing for a load balancer's choice); changed between steps in the cluster test */
  entry: Addr;
}

/** A confirmed dialog as each side sees it. */
export interface Call {
  caller: Dialog;
  gateway: Dialog;
  /** the caller's tag (From or To): requests it sends are matched by it at the gateway */
  callerTag: string;
  gwTag: string;
}

const rand = () => randomBytes(5).toString('hex');
const tp = (ua: RawUa) => (ua.transport === 'tcp' ? ';transport=tcp' : '');
const withSeq = (match: (m: SipMessage) => boolean, seq: number) => (m: SipMessage) => match(m) && m.cseq()?.seq === seq;

/** Send a request inside the dialog to the scene's entry node, after checking its route set leads to the node. */
async function sendInDialog(s: Scene, ua: RawUa, d: Dialog, method: string, o: { contact?: boolean; body?: string; seq?: number } = {}): Promise<number> {
  const { text, seq } = inDialog(ua, d, method, o);
  const hop = nextHop(d);
  if (hop.host !== s.advertised.host || hop.port !== s.advertised.port) {
    throw new Error(`${ua.name}'s ${method} would go to ${hop.host}:${hop.port}, not to the node's advertised ${s.advertised.host}:${s.advertised.port} (target ${d.target}, routes ${d.routes.join(', ') || 'none'})`);
  }
  await ua.send(text, s.entry);
  return seq;
}

export interface CallerCallResult extends Call {
  /** the INVITE as the gateway got it, and from where (the node that relayed it) */
  atGateway: SipMessage;
  atGatewayFrom: Addr;
  ringing: SipMessage;
  ok: SipMessage;
  /** the ACK as the gateway got it */
  ack: SipMessage;
}

/**
 * Caller INVITE (SDP) -> gateway 100, 180, 200 (SDP, Contact, Record-Route
 * copied) -> caller ACK along its route set. The gateway plays a record-routing
 * core proxy in front of the PBX too: its 180/200 carry its own Record-Route
 * entry above the copied ones, so the caller's requests reach it through it.
 */
export async function callerCall(s: Scene): Promise<CallerCallResult> {
  const callId = `alice-${rand()}@${CALLER_IP}`;
  const callerTag = newTag();
  const invite = {
    method: 'INVITE',
    uri: `sip:bob@${s.advertised.host}:${s.advertised.port}${tp(s.caller)}`,
    via: s.caller.via(),
    from: `<${CALLER_AOR}>;tag=${callerTag}`,
    to: '<sip:bob@example.com>',
    callId,
    cseq: 1,
    contact: s.caller.contact,
    body: sdp('alice', CALLER_IP, 40000),
  };
  await s.caller.send(request(invite), s.entry);
  const atGw = await s.gateway.next('the INVITE', isRequest('INVITE', callerTag));
  const gwTag = newTag();
  const answer = { toTag: gwTag, contact: s.gateway.contact, copyRecordRoute: true, ownRecordRoute: coreRecordRoute(s), headers: [GW_USER_AGENT] };
  await s.gateway.reply(atGw, response(atGw.msg, 100, 'Trying'));
  await s.gateway.reply(atGw, response(atGw.msg, 180, 'Ringing', answer));
  const ringing = await s.caller.next('180 to the INVITE', isResponse(callId, 1, 'INVITE', 180));
  await s.gateway.reply(atGw, response(atGw.msg, 200, 'OK', { ...answer, body: sdp('pbx', CORE_IP, 50000) }));
  const ok = await s.caller.next('200 to the INVITE', isResponse(callId, 1, 'INVITE', 200));
  const callerDialog = dialogAsUac(invite, ok.msg);
  await sendInDialog(s, s.caller, callerDialog, 'ACK');
  const ack = await s.gateway.next('the ACK', isRequest('ACK', callerTag));
  return {
    caller: callerDialog,
    gateway: dialogAsUas(atGw.msg, gwTag, 700),
    callerTag,
    gwTag,
    atGateway: atGw.msg,
    atGatewayFrom: atGw.from,
    ringing: ringing.msg,
    ok: ok.msg,
    ack: ack.msg,
  };
}

export interface Exchange {
  /** the request as the other side got it */
  atPeer: SipMessage;
  /** where the other side got it from (the node that relayed it) */
  atPeerFrom: Addr;
  /** the final response as the sender got it */
  final: SipMessage;
  /** INVITE: the ACK as the other side got it */
  ack?: SipMessage;
}

/**
 * One in-dialog request from `side` to the other, answered 200 by it. INVITE
 * and UPDATE carry SDP and a Contact (target refresh on both sides, §12.2);
 * an INVITE's 200 is ACKed along the route set.
 */
export async function inDialogRequest(s: Scene, call: Call, side: 'caller' | 'gateway', method: 'INVITE' | 'UPDATE' | 'BYE'): Promise<Exchange> {
  const fromCaller = side === 'caller';
  const [ua, peer, d, peerD] = fromCaller ? [s.caller, s.gateway, call.caller, call.gateway] : [s.gateway, s.caller, call.gateway, call.caller];
  const ownTag = fromCaller ? call.callerTag : call.gwTag;
  const refresh = method !== 'BYE';
  const body = (u: RawUa) => (!refresh ? undefined : u === s.caller ? sdp('alice', CALLER_IP, 40002) : sdp('pbx', CORE_IP, 50002));
  const seq = await sendInDialog(s, ua, d, method, { contact: refresh, body: body(ua) });
  const at = await peer.next(`the ${side}'s ${method}`, withSeq(isRequest(method, ownTag), seq));
  if (refresh) peerD.target = at.msg.contacts()[0]?.uriText ?? peerD.target;
  await peer.reply(at, response(at.msg, 200, 'OK', { contact: refresh ? peer.contact : undefined, body: body(peer) }));
  const final = await ua.next(`final response to the ${side}'s ${method}`, isResponse(d.callId, seq, method, 'final'));
  if (refresh && final.msg.status === 200) d.target = final.msg.contacts()[0]?.uriText ?? d.target;
  if (method !== 'INVITE') return { atPeer: at.msg, atPeerFrom: at.from, final: final.msg };
  await sendInDialog(s, ua, d, 'ACK', { seq });
  const ack = await peer.next(`the ACK of the ${side}'s re-INVITE`, withSeq(isRequest('ACK', ownTag), seq));
  return { atPeer: at.msg, atPeerFrom: at.from, final: final.msg, ack: ack.msg };
}

export interface CancelResult {
  cancelOk: SipMessage;
  /** the INVITE's final response at the caller (487 expected) */
  final: SipMessage;
  cancelAtGateway: SipMessage;
  /** the node's hop-by-hop ACK of the 487, at the gateway */
  ackAtGateway: SipMessage;
}

/** Caller INVITE -> gateway 100, 180 -> caller CANCEL -> 200; gateway 200 to the CANCEL, 487 -> ACKs. */
export async function cancelledCall(s: Scene): Promise<CancelResult> {
  const callId = `alice-${rand()}@${CALLER_IP}`;
  const callerTag = newTag();
  const branch = newBranch();
  const uri = `sip:bob@${s.advertised.host}:${s.advertised.port}${tp(s.caller)}`;
  const base = { uri, from: `<${CALLER_AOR}>;tag=${callerTag}`, callId, cseq: 1 };
  await s.caller.send(request({ ...base, method: 'INVITE', via: s.caller.via(branch), to: '<sip:bob@example.com>', contact: s.caller.contact, body: sdp('alice', CALLER_IP, 40004) }), s.entry);
  const atGw = await s.gateway.next('the INVITE', isRequest('INVITE', callerTag));
  const gwTag = newTag();
  await s.gateway.reply(atGw, response(atGw.msg, 100, 'Trying'));
  await s.gateway.reply(atGw, response(atGw.msg, 180, 'Ringing', { toTag: gwTag, contact: s.gateway.contact, copyRecordRoute: true }));
  await s.caller.next('180 to the INVITE', isResponse(callId, 1, 'INVITE', 180));
  // CANCEL: same Request-URI, Via branch and CSeq number as the INVITE (§9.1)
  await s.caller.send(request({ ...base, method: 'CANCEL', via: s.caller.via(branch), to: '<sip:bob@example.com>' }), s.entry);
  const cancelOk = await s.caller.next('the answer to the CANCEL', isResponse(callId, 1, 'CANCEL', 'final'));
  const cancelAtGw = await s.gateway.next('the CANCEL', isRequest('CANCEL', callerTag));
  await s.gateway.reply(cancelAtGw, response(cancelAtGw.msg, 200, 'OK'));
  await s.gateway.reply(atGw, response(atGw.msg, 487, 'Request Terminated', { toTag: gwTag }));
  const final = await s.caller.next('the INVITE\'s final response', isResponse(callId, 1, 'INVITE', 'final'));
  const ackAtGw = await s.gateway.next('the node\'s ACK of the 487', isRequest('ACK', callerTag));
  // the caller's ACK of a non-2xx: the INVITE's branch, the To of the response (§17.1.1.3); the node absorbs it
  await s.caller.send(request({ ...base, method: 'ACK', via: s.caller.via(branch), to: final.msg.header('to') ?? '' }), s.entry);
  return { cancelOk: cancelOk.msg, final: final.msg, cancelAtGateway: cancelAtGw.msg, ackAtGateway: ackAtGw.msg };
}

export interface CoreCallResult extends Call {
  /** the INVITE as the caller got it */
  atCaller: SipMessage;
  ok: SipMessage;
  ack: SipMessage;
}

/**
 * The core originates: the gateway sends an INVITE with Route <sip:NODE;lr>
 * and Request-URI = the caller's address, with its own Call-ID; the caller
 * answers 180, 200; the gateway ACKs along its route set. The gateway also
 * plays a record-routing core proxy: its INVITE carries a Record-Route of its
 * own (a foreign one for the node, to be sealed or stored), so the caller's
 * requests reach it through that entry.
 */
export async function coreCall(s: Scene, callId = CORE_CALL_ID): Promise<CoreCallResult> {
  const gwTag = newTag();
  const invite = {
    method: 'INVITE',
    uri: s.caller.contactUri,
    via: s.gateway.via(),
    from: `<${CORE_AOR}>;tag=${gwTag}`,
    to: `<${CALLER_AOR}>`,
    callId,
    cseq: 100,
    contact: s.gateway.contact,
    routes: [`<sip:${s.advertised.host}:${s.advertised.port}${tp(s.gateway)};lr>`],
    headers: [`Record-Route: ${coreRecordRoute(s)}`, GW_USER_AGENT],
    body: sdp('pbx', CORE_IP, 50004),
  };
  await s.gateway.send(request(invite), s.entry);
  const atCaller = await s.caller.next('the core\'s INVITE', isRequest('INVITE', gwTag));
  const callerTag = newTag();
  const answer = { toTag: callerTag, contact: s.caller.contact, copyRecordRoute: true };
  await s.caller.reply(atCaller, response(atCaller.msg, 180, 'Ringing', answer));
  await s.gateway.next('180 to the core\'s INVITE', isResponse(callId, 100, 'INVITE', 180));
  await s.caller.reply(atCaller, response(atCaller.msg, 200, 'OK', { ...answer, body: sdp('alice', CALLER_IP, 40006) }));
  const ok = await s.gateway.next('200 to the core\'s INVITE', isResponse(callId, 100, 'INVITE', 200));
  const gwDialog = dialogAsUac(invite, ok.msg);
  // the core proxy finds its own entry (last in the reversed set) and consumes it before sending on
  const own = gwDialog.routes.findIndex((r) => sameUri(r, coreRecordRoute(s)));
  if (own < 0) {
    throw new Error(`the 200 at the core carries Record-Route ${gwDialog.routes.slice().reverse().join(', ') || '(none)'}: the core's own entry ${coreRecordRoute(s)} did not come back as it was sent`);
  }
  gwDialog.routes.splice(own, 1);
  await sendInDialog(s, s.gateway, gwDialog, 'ACK');
  const ack = await s.caller.next('the core\'s ACK', isRequest('ACK', gwTag));
  return { caller: dialogAsUas(atCaller.msg, callerTag, 1), gateway: gwDialog, callerTag, gwTag, atCaller: atCaller.msg, ok: ok.msg, ack: ack.msg };
}

/** Two name-addr / URI texts naming the same URI (parameters in any order). */
function sameUri(a: string, b: string): boolean {
  const shape = (t: string) => {
    const u = parseUri(/<([^>]*)>/.exec(t)?.[1] ?? t);
    return u === undefined ? t : `${u.host}:${u.port};${[...u.params].map(([k, v]) => `${k}=${v}`).sort().join(';')}`;
  };
  return shape(a) === shape(b);
}

/** The Record-Route entry of the core proxy the gateway plays. */
export function coreRecordRoute(s: Scene): string {
  return `<sip:${CORE_IP}:${s.gateway.port}${tp(s.gateway)};lr>`;
}

export interface TamperResult {
  /** the token as sent and as tampered */
  original: string;
  tampered: string;
  /** the final response the caller got for the tampered BYE */
  final: SipMessage;
  /** requests of this dialog that reached the gateway meanwhile (expected none) */
  reachedGateway: SipMessage[];
}

/** The first topology token in the caller's target or route set (topoh `=sr-...`, topos `atpsh-` / `btpsh-...`), with one character changed. */
function tamperedDialog(d: Dialog): { dialog: Dialog; original: string; tampered: string } {
  const token = /(?:=sr-|[ab]tpsh-)([A-Za-z0-9_-]{8,})/;
  const flip = (text: string): { text: string; original: string; tampered: string } | undefined => {
    const m = token.exec(text);
    if (!m) return undefined;
    const t = m[1];
    const i = Math.floor(t.length / 2);
    const changed = t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    return { text: text.replace(t, changed), original: t, tampered: changed };
  };
  const inTarget = flip(d.target);
  if (inTarget) return { dialog: { ...d, target: inTarget.text }, original: inTarget.original, tampered: inTarget.tampered };
  for (let i = 0; i < d.routes.length; i++) {
    const inRoute = flip(d.routes[i]);
    if (inRoute) return { dialog: { ...d, routes: d.routes.map((r, j) => (j === i ? inRoute.text : r)) }, original: inRoute.original, tampered: inRoute.tampered };
  }
  throw new Error(`no topology token in the caller's target ${d.target} or routes ${d.routes.join(', ')}`);
}

/** The caller sends a BYE whose token has one character changed; the gateway must see nothing of it. */
export async function tamperedBye(s: Scene, call: Call, quietMs = 600): Promise<TamperResult> {
  const t = tamperedDialog(call.caller);
  const seq = ++call.caller.cseq;
  await sendInDialog(s, s.caller, t.dialog, 'BYE', { seq });
  const final = await s.caller.next('the answer to the tampered BYE', isResponse(call.caller.callId, seq, 'BYE', 'final'));
  const reachedGateway = await s.gateway.collect((m) => m.isRequest && m.fromTag() === call.callerTag && m.cseq()?.seq === seq, quietMs);
  return { original: t.original, tampered: t.tampered, final: final.msg, reachedGateway };
}

// ------------------------------------------------------------------ the leak check

export type Needle = string | RegExp;

/** `:<port>` not followed by another digit */
export const portNeedle = (port: number): RegExp => new RegExp(`:${port}(?!\\d)`);

/**
 * Every line of the captured bytes holding one of the needles, as
 * `needle in "line"`. Bytes are joined per source first, so a needle split
 * across two TCP chunks is still found.
 */
export function leaksIn(captured: readonly Captured[], needles: readonly Needle[]): string[] {
  const bySource = new Map<string, string>();
  for (const c of captured) {
    const k = `${c.from.host}:${c.from.port}`;
    bySource.set(k, (bySource.get(k) ?? '') + c.data.toString('latin1'));
  }
  const found: string[] = [];
  for (const text of bySource.values()) {
    for (const line of text.split(/\r\n|\n/)) {
      for (const n of needles) {
        if (typeof n === 'string' ? line.includes(n) : n.test(line)) found.push(`${String(n)} in "${line.slice(0, 200)}"`);
      }
    }
  }
  return found;
}
