// In-process rig for topology tests: SipProxy nodes with a fake transport
// that records what each node sends where, and two tiny UAs (caller, gateway)
// that answer and build in-dialog requests from what they received, as real
// UAs do (route sets per RFC 3261 §12.1).
import pino from 'pino';
import { Registry } from 'prom-client';
import { DispatcherState, dispatchStep, loadDispatcherSets } from '#libs/dispatcher';
import { loadConfig } from '#libs/config';
import { PROXY_REJECTIONS, SipProxy, type TopologyHiding } from '#libs/proxy';
import { createRejectionCatalog, RejectionRecorder, SANITY_REJECTIONS } from '#libs/rejections';
import { resolveSanityConfig } from '#libs/sanity';
import { createRequest, createResponse, DEFAULT_PARSE_LIMITS, parseMessage, type SipMessage } from '#libs/sip';
import { TransactionLayer } from '#libs/transaction';
import type { InboundHandler, ListenSocketInfo, RemoteInfo, SendTarget, TransportLayer } from '#libs/transport';
import { TOPOLOGY_REJECTIONS } from './rejections.ts';

export const CALLER: RemoteInfo = { proto: 'udp', address: '127.0.0.10', port: 5070, family: 'IPv4' };
export const GATEWAY: RemoteInfo = { proto: 'udp', address: '127.0.0.20', port: 5080, family: 'IPv4' };

export interface Sent {
  to: SendTarget;
  msg: SipMessage;
  text: string;
}

export interface RigNode {
  sock: ListenSocketInfo;
  sent: Sent[];
  deliver(msg: SipMessage | string, from: RemoteInfo): void;
  close(): void;
}

/** One proxy node on 127.0.0.1:<port> advertising `advertise`, routing new calls to GATEWAY. */
export function startRigNode(port: number, topology: (sock: ListenSocketInfo) => TopologyHiding | undefined, advertise = { host: '127.0.0.1', port }): RigNode {
  const sock: ListenSocketInfo = { id: `udp:127.0.0.1:${port}`, proto: 'udp', family: 'IPv4', host: '127.0.0.1', port, advertisedHost: advertise.host, advertisedPort: advertise.port };
  let handler: InboundHandler | undefined;
  const sent: Sent[] = [];
  const transport = {
    sockets: [sock],
    selectSocket: () => sock,
    send: (to: SendTarget, data: Buffer) => {
      const r = parseMessage(data);
      if (!r.ok) throw new Error(`node sent unparsable bytes: ${r.error.code}`);
      sent.push({ to, msg: r.msg, text: data.toString('latin1') });
    },
    onMessage: (h: InboundHandler) => { handler = h; },
  } as unknown as TransportLayer;
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const cfg = loadConfig({ env: {}, text: `dispatcher: { sets: [{ setid: 1, uri: "sip:${GATEWAY.address}:${GATEWAY.port}" }] }`, file: 'rig.yaml' });
  if (!cfg.ok) throw new Error('rig config');
  const sets = loadDispatcherSets(cfg.config.dispatcher);
  if (!sets.ok) throw new Error('rig sets');
  const tm = new TransactionLayer({ send: (m, t) => transport.send(t, m.serialize()), logger, registry });
  const recorder = new RejectionRecorder({ catalog: createRejectionCatalog(SANITY_REJECTIONS, PROXY_REJECTIONS, TOPOLOGY_REJECTIONS), registry, logger });
  new SipProxy({
    config: { aliases: advertise.port !== port ? [`${advertise.host}:${advertise.port}`] : [], serverHeader: '', failover: { codes: new Set([503]), onTimeout: true, branchTimeoutMs: 3000 }, sanity: resolveSanityConfig({}), limits: DEFAULT_PARSE_LIMITS },
    transport, tm, logger, registry, recorder,
    routing: [dispatchStep({ state: new DispatcherState(sets.sets), setId: 1, algorithm: 4 })],
    topology: topology(sock),
  });
  return {
    sock,
    sent,
    deliver(msg, from) {
      const data = typeof msg === 'string' ? Buffer.from(msg, 'latin1') : msg.serialize();
      handler!({ data, remote: from, local: sock });
    },
    close: () => tm.close(),
  };
}

/** Messages a node sent to an address since index `from`. */
export function sentTo(node: RigNode, who: RemoteInfo, from = 0): Sent[] {
  return node.sent.slice(from).filter((s) => s.to.host === who.address && s.to.port === who.port);
}

export const settle = () => new Promise((r) => setTimeout(r, 5));

const SDP = (ip: string) => `v=0\r\no=ua 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n`;

/** A dialog as one UA sees it (RFC 3261 §12.1). */
export interface UaDialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: string;
  remoteUri: string;
  remoteTarget: string;
  routeSet: string[];
  cseq: number;
}

export function callerInvite(callId: string, branch: string, extra: [string, string][] = []): SipMessage {
  const body = Buffer.from(SDP(CALLER.address));
  return createRequest({
    method: 'INVITE',
    uri: 'sip:service@127.0.0.1',
    headers: [
      ['Via', `SIP/2.0/UDP ${CALLER.address}:${CALLER.port};branch=${branch};rport`],
      ['Max-Forwards', '70'],
      ['From', '<sip:alice@public.example>;tag=alice1'],
      ['To', '<sip:service@127.0.0.1>'],
      ['Call-ID', callId],
      ['CSeq', '1 INVITE'],
      ['Contact', `<sip:alice@${CALLER.address}:${CALLER.port}>`],
      ...extra,
      ['Content-Type', 'application/sdp'],
    ],
    body,
  });
}

/** The gateway's answer to a request it received (RR copied, its Contact, SDP on 2xx INVITE). */
export function gatewayAnswer(req: SipMessage, status: number, reason: string, tag = 'gw1'): SipMessage {
  const withSdp = status >= 200 && status < 300 && req.method === 'INVITE';
  const headers: [string, string][] = req.recordRoutes().length > 0 ? [['Record-Route', req.headerValues('record-route').join(', ')]] : [];
  if (status > 100 && req.method !== 'BYE') headers.push(['Contact', `<sip:gw@${GATEWAY.address}:${GATEWAY.port}>`]);
  return createResponse(req, status, reason, {
    toTag: status > 100 ? tag : undefined,
    headers,
    ...(withSdp ? { body: Buffer.from(SDP(GATEWAY.address)), contentType: 'application/sdp' } : {}),
  });
}

/** The caller's answer to an in-dialog request it received. */
export function callerAnswer(req: SipMessage, status: number, reason: string): SipMessage {
  return createResponse(req, status, reason, { headers: [['Contact', `<sip:alice@${CALLER.address}:${CALLER.port}>`]] });
}

/** UAC side of the dialog from the 2xx it received. */
export function uacDialog(invite: SipMessage, ok: SipMessage): UaDialog {
  return {
    callId: ok.callId()!, localTag: invite.fromTag()!, remoteTag: ok.toTag()!,
    localUri: invite.from()!.uriText, remoteUri: invite.to()!.uriText,
    remoteTarget: ok.contacts()[0].uriText, routeSet: ok.headerValues('record-route').reverse(), cseq: invite.cseq()!.seq,
  };
}

/** UAS side of the dialog from the request it received and the tag it answered with. */
export function uasDialog(received: SipMessage, tag: string): UaDialog {
  return {
    callId: received.callId()!, localTag: tag, remoteTag: received.fromTag()!,
    localUri: received.to()!.uriText, remoteUri: received.from()!.uriText,
    remoteTarget: received.contacts()[0].uriText, routeSet: received.headerValues('record-route'), cseq: 700,
  };
}

/** An in-dialog request along the route set. */
export function inDialog(d: UaDialog, method: string, via: RemoteInfo, branch: string, opts: { cseq?: number; contact?: string } = {}): SipMessage {
  const seq = opts.cseq ?? ++d.cseq;
  return createRequest({
    method,
    uri: d.remoteTarget,
    headers: [
      ['Via', `SIP/2.0/UDP ${via === GATEWAY ? 'pbx.core.internal' : via.address}:${via.port};branch=${branch}`],
      ['Max-Forwards', '70'],
      ...d.routeSet.map((r): [string, string] => ['Route', r]),
      ['From', `<${d.localUri}>;tag=${d.localTag}`],
      ['To', `<${d.remoteUri}>;tag=${d.remoteTag}`],
      ['Call-ID', d.callId],
      ['CSeq', `${seq} ${method}`],
      ...(opts.contact !== undefined ? [['Contact', opts.contact] as [string, string]] : []),
    ],
  });
}
