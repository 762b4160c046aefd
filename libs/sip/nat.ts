// Via handling at the transport edge: RFC 3261 §18.2.1 (received) and
// §18.2.2 (where responses go), with RFC 3581 (rport) for NATed clients.
import type { SipMessage, Via } from './types.ts';

function bare(host: string): string {
  return host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93 ? host.slice(1, -1) : host;
}

/** lower-case, and strip the IPv4-mapped prefix dual-stack sockets report */
function normAddr(a: string): string {
  const l = bare(a).toLowerCase();
  return l.startsWith('::ffff:') && l.indexOf('.') > 0 ? l.slice(7) : l;
}

export interface RemoteAddress {
  address: string;
  port: number;
}

/**
 * Stamp the top Via of a received request: received=<source> when the
 * sent-by host differs from the packet's source (§18.2.1), and, when the
 * client asked with a bare ";rport", rport=<source port> plus received even
 * when equal (RFC 3581 §4). No-op when there is no parseable top Via.
 */
export function stampVia(msg: SipMessage, remote: RemoteAddress): void {
  const top = msg.topVia();
  if (top === undefined) return;
  const addr = normAddr(remote.address);
  const wantsRport = top.params.has('rport') && top.params.get('rport') === null;
  if (wantsRport) msg.setTopViaParam('rport', String(remote.port));
  if (wantsRport || normAddr(top.host) !== addr) msg.setTopViaParam('received', addr);
}

const RELIABLE = new Set(['TCP', 'TLS', 'SCTP', 'TLS-SCTP', 'WS', 'WSS']);
const SECURE = new Set(['TLS', 'TLS-SCTP', 'WSS']);

export interface ResponseTarget {
  /** IP or host name without IPv6 brackets (ready for a socket call; names still need RFC 3263 resolution) */
  host: string;
  port: number;
}

function portParam(v: string | null | undefined): number | undefined {
  if (v === undefined || v === null || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 && n <= 65535 ? n : undefined;
}

/**
 * Where to send a response for this Via (§18.2.2 + RFC 3581 §4). Reliable
 * transports first reuse the request's connection; this is the address to
 * connect to when it is gone: received (or sent-by) and the sent-by port.
 * Unreliable: maddr if present; else received with rport's port when
 * filled in, else the sent-by port; else sent-by. Default port 5060, 5061 for TLS.
 */
export function responseTarget(via: Via, transport?: string): ResponseTarget {
  const t = (transport ?? via.transport).toUpperCase();
  const sentPort = via.port ?? (SECURE.has(t) ? 5061 : 5060);
  const received = via.params.get('received') ?? undefined;
  if (RELIABLE.has(t)) return { host: bare(received ?? via.host), port: sentPort };
  const maddr = via.params.get('maddr') ?? undefined;
  if (maddr !== undefined) return { host: bare(maddr), port: sentPort };
  const rport = portParam(via.params.get('rport'));
  return { host: bare(received ?? via.host), port: rport ?? sentPort };
}
