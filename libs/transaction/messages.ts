// The messages the transaction layer makes itself, all built with libs/sip:
// 100 Trying, local finals (408/487/503), 200 to CANCEL, the hop-by-hop ACK
// for a non-2xx final (§17.1.1.3) and CANCEL (§9.1). Also where responses go.
import { createRequest, createResponse, generateTag, responseTarget, type SipMessage } from '#libs/sip';
import type { Target } from './types.ts';

export function tryingResponse(req: SipMessage): SipMessage {
  // §17.2.1: no To tag on the 100 the transaction makes
  return createResponse(req, 100, 'Trying');
}

/** A final made here on behalf of a branch; it carries the request's Vias, like a real downstream answer. */
export function localResponse(req: SipMessage, status: number, reason: string): SipMessage {
  return createResponse(req, status, reason, { toTag: generateTag() });
}

export function cancelOk(cancel: SipMessage): SipMessage {
  return createResponse(cancel, 200, 'OK', { toTag: generateTag() });
}

function linesOf(msg: SipMessage, key: string): string[] {
  const out: string[] = [];
  for (const f of msg.fields()) if (f.key === key) out.push(f.value);
  return out;
}

/** header rows shared by ACK and CANCEL: the INVITE's top Via only, its Route set, Max-Forwards */
function hopHeaders(invite: SipMessage): [string, string][] {
  const rows: [string, string][] = [];
  const topVia = invite.headerValues('via')[0];
  if (topVia !== undefined) rows.push(['Via', topVia]);
  for (const r of linesOf(invite, 'route')) rows.push(['Route', r]);
  const mf = invite.maxForwards();
  rows.push(['Max-Forwards', mf !== undefined && Number.isFinite(mf) ? String(mf) : '70']);
  return rows;
}

/**
 * ACK for a non-2xx final (§17.1.1.3): Request-URI, Call-ID, From and CSeq
 * number of the INVITE, To of the response (with its tag), one Via equal to
 * the INVITE's top Via (same branch), the INVITE's Route headers, no body.
 */
export function buildAck(invite: SipMessage, response: SipMessage): SipMessage {
  const rows = hopHeaders(invite);
  rows.push(['From', invite.header('from') ?? '']);
  rows.push(['To', response.header('to') ?? invite.header('to') ?? '']);
  rows.push(['Call-ID', invite.callId() ?? '']);
  rows.push(['CSeq', `${invite.cseq()?.seq ?? 0} ACK`]);
  return createRequest({ method: 'ACK', uri: invite.uri, headers: rows });
}

/**
 * CANCEL for a forwarded INVITE (§9.1): same Request-URI, Call-ID, To, From
 * and CSeq number (method CANCEL), one Via equal to the INVITE's top Via,
 * the INVITE's Route headers; an optional Reason (RFC 3326).
 */
export function buildCancel(invite: SipMessage, reason?: string): SipMessage {
  const rows = hopHeaders(invite);
  rows.push(['From', invite.header('from') ?? '']);
  rows.push(['To', invite.header('to') ?? '']);
  rows.push(['Call-ID', invite.callId() ?? '']);
  rows.push(['CSeq', `${invite.cseq()?.seq ?? 0} CANCEL`]);
  if (reason !== undefined && reason.length > 0) rows.push(['Reason', reason]);
  return createRequest({ method: 'CANCEL', uri: invite.uri, headers: rows });
}

/**
 * Where a server transaction sends its responses. tcp: back to the
 * connection the request came on (the transport maps the peer address to
 * it). udp: §18.2.2 + RFC 3581 from the top Via, reading received/rport from
 * the packet's source when the transport has not stamped them yet.
 */
export function responseTargetFor(req: SipMessage, source: Target): Target {
  // (over TCP the response goes back on the request's connection: no socket to name)
  if (source.proto !== 'udp') return { proto: source.proto, host: source.host, port: source.port };
  const via = req.topVia();
  if (via === undefined) return { ...source };
  const bareRport = via.params.get('rport') === null;
  // the usual case (stampVia already wrote received/rport, or the sent-by host is
  // the source itself): the Via answers as it is, without a copy per request
  const stamped = !bareRport && (via.params.has('received') || via.host === source.host);
  let target = via;
  if (!stamped) {
    const params = new Map(via.params);
    if (!params.has('received')) params.set('received', source.host);
    if (bareRport) params.set('rport', String(source.port));
    target = { protocol: via.protocol, transport: via.transport, host: via.host, port: via.port, params };
  }
  const t = responseTarget(target, 'UDP');
  // from the socket the request arrived on: a NAT lets back only what comes from the address the client sent to
  return source.socket === undefined ? { proto: 'udp', host: t.host, port: t.port } : { proto: 'udp', host: t.host, port: t.port, socket: source.socket };
}

/** `target`, sent from the listen socket `socket` (a copy: targets are shared by hops and transactions). */
export function withSocket(target: Target, socket: string): Target {
  return { proto: target.proto, host: target.host, port: target.port, socket };
}
