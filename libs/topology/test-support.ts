// In-process rig for topology tests: SipProxy nodes with a fake transport
// that records what each node sends where, and two tiny UAs (caller, gateway)
// that answer and build in-dialog requests from what they received, as real
// UAs do (route sets per RFC 3261 §12.1).
import type { TopologyHiding } from '#libs/proxy';
import { createRequest, createResponse, parseMessage, type SipMessage } from '#libs/sip';
import type { ListenSocketInfo, RemoteInfo, SendTarget } from '#libs/transport';
import { startInProcessProxy } from '../../test/harness/in-process-proxy.ts';
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
  const sent: Sent[] = [];
  const node = startInProcessProxy({
    sock,
    gateway: GATEWAY,
    aliases: advertise.port !== port ? [`${advertise.host}:${advertise.port}`] : [],
    topology: topology(sock),
    rejections: [TOPOLOGY_REJECTIONS],
    onSend(to, data) {
      const r = parseMessage(data);
      if (!r.ok) throw new Error(`node sent unparsable bytes: ${r.error.code}`);
      sent.push({ to, msg: r.msg, text: data.toString('latin1') });
    },
  });
  return {
    sock,
    sent,
    deliver(msg, from) {
      node.deliver(typeof msg === 'string' ? Buffer.from(msg, 'latin1') : msg.serialize(), from);
    },
    close: () => node.close(),
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
