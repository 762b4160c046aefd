// Turning URIs into next hops, and building the Via / Record-Route values
// the node inserts when it relays.
import { generateBranch, type SipUri, type Via } from '#libs/sip';
import type { Target } from '#libs/transaction';
import type { ListenSocketInfo } from '#libs/transport';
import type { Hop } from './context.ts';

/** Next hop for a SIP URI (Route entry, R-URI, dispatcher destination); undefined for tel: or unusable URIs. */
export function hopForUri(uri: SipUri | undefined, label?: string): Hop | undefined {
  if (uri === undefined || uri.scheme === 'tel' || uri.host === '') return undefined;
  const t = uri.params.get('transport');
  const proto: Target['proto'] = t !== undefined && t !== null && t.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  const host = uri.host.charCodeAt(0) === 91 ? uri.host.slice(1, -1) : uri.host;
  const port = uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060);
  return { target: { proto, host, port }, label };
}

function hostForUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The Via host:port for a socket: its bound address, or the advertised one when bound to a wildcard. */
export function viaSentBy(sock: ListenSocketInfo): string {
  const wildcard = sock.host === '0.0.0.0' || sock.host === '::';
  return wildcard ? `${hostForUri(sock.advertisedHost)}:${sock.advertisedPort}` : `${hostForUri(sock.host)}:${sock.port}`;
}

/**
 * The branch for a relayed request, derived from what RFC 3261 §17.2.3 matches
 * a server transaction on: the incoming branch and the top Via's sent-by
 * (host, case-folded, and port, the default filled in, as libs/transaction
 * keys.ts sentBy). A retransmission relayed by any node carries the same
 * branch, so the next hop sees a retransmission, not a new transaction (design.md
 * §3 rule 1); two clients that happen to pick the same branch are two
 * transactions here and stay two at the next hop. The method is left out on
 * purpose: the node's client transactions and the next hop's server
 * transactions are keyed on it already, and an INVITE and its CANCEL share a
 * branch by RFC 3261 §9.1. `attempt` (the hop index) makes each failover
 * branch new. Random for a branch without the magic cookie (RFC 2543 peers).
 * The derivation is versioned in the prefix (`z9hG4bK-sbc2-`; docs/cluster.md
 * "Relayed branches" says what a change means for a rolling upgrade).
 */
export function relayBranch(via: Via | undefined, attempt: number): string {
  const branch = via?.params.get('branch');
  if (via === undefined || typeof branch !== 'string' || !branch.startsWith('z9hG4bK') || branch.length < 10) return generateBranch();
  const port = via.port ?? (via.transport === 'TLS' || via.transport === 'WSS' ? 5061 : 5060);
  return `z9hG4bK-sbc2-${hash64Hex(branch, via.host, port, attempt)}`;
}

/** char codes of the 16 hex digits, for hash64Hex */
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * A fast, well-mixed 64-bit hash (cyrb53's mixing, both 32-bit halves kept)
 * of branch, sent-by host (ASCII case-folded in the loop: no toLowerCase
 * string) and port, as 16 hex digits. The parts are fed one after the other
 * with a separator that cannot occur in a branch or host (0x0a), so
 * ("ab", "c") and ("a", "bc") differ. Unique per input, not secret: this
 * costs a fraction of a crypto digest. The digits are written with one
 * String.fromCharCode: Number#toString(16) + padStart took ~0.5 µs per
 * branch, this ~0.05 µs.
 */
function hash64Hex(branch: string, host: string, port: number, seed: number): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < branch.length; i++) {
    const c = branch.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ 10, 2654435761);
  h2 = Math.imul(h2 ^ 10, 1597334677);
  for (let i = 0; i < host.length; i++) {
    let c = host.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 32;
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (10 | (port << 8)), 2654435761);
  h2 = Math.imul(h2 ^ (10 | (port << 8)), 1597334677);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const d = HEX_DIGITS;
  return String.fromCharCode(
    d[h1 >>> 28], d[(h1 >>> 24) & 15], d[(h1 >>> 20) & 15], d[(h1 >>> 16) & 15], d[(h1 >>> 12) & 15], d[(h1 >>> 8) & 15], d[(h1 >>> 4) & 15], d[h1 & 15],
    d[h2 >>> 28], d[(h2 >>> 24) & 15], d[(h2 >>> 20) & 15], d[(h2 >>> 16) & 15], d[(h2 >>> 12) & 15], d[(h2 >>> 8) & 15], d[(h2 >>> 4) & 15], d[h2 & 15],
  );
}

/**
 * Per socket, the parts of the inserted headers that depend on the socket
 * alone, built on first use: a socket's addresses never change, and each
 * relayed request would otherwise rebuild them (upper-casing, host
 * bracketing, several concatenations).
 */
interface SocketHeaderParts {
  /** "SIP/2.0/UDP host:port;branch=" */
  viaPrefix: string;
  /** "<sip:host:port;transport=tcp;lr" (without the closing '>') */
  rrUri: string;
  recordRoute: string;
  recordRouteDoubled: string;
}

const headerPartsOf = new WeakMap<ListenSocketInfo, SocketHeaderParts>();

function socketHeaderParts(sock: ListenSocketInfo): SocketHeaderParts {
  let parts = headerPartsOf.get(sock);
  if (parts === undefined) {
    const transport = sock.proto === 'tcp' ? ';transport=tcp' : '';
    const rrUri = `<sip:${hostForUri(sock.advertisedHost)}:${sock.advertisedPort}${transport};lr`;
    parts = {
      viaPrefix: `SIP/2.0/${sock.proto.toUpperCase()} ${viaSentBy(sock)};branch=`,
      rrUri,
      recordRoute: `${rrUri}>`,
      recordRouteDoubled: `${rrUri};r2=on>`,
    };
    headerPartsOf.set(sock, parts);
  }
  return parts;
}

export function viaValue(sock: ListenSocketInfo, branch: string): string {
  return `${socketHeaderParts(sock).viaPrefix}${branch};rport`;
}

/**
 * Record-Route value naming a socket by its advertised address (never a pod
 * IP: design.md §3 rule 7). With `ftag` (the dialog's original From tag, as
 * Kamailio's rr append_fromtag), any node handling a later in-dialog request
 * can tell which side sent it (call events: dialog.ended by caller/callee).
 * `extra`: URI parameters a step asked for (ctx.rrParam: rr_sign's signature).
 */
export function recordRouteValue(sock: ListenSocketInfo, doubled: boolean, ftag?: string, extra?: string): string {
  const parts = socketHeaderParts(sock);
  const tag = routeFtag(ftag);
  if (tag === undefined && extra === undefined) return doubled ? parts.recordRouteDoubled : parts.recordRoute;
  return `${parts.rrUri}${tag === undefined ? '' : `;ftag=${tag}`}${extra ?? ''}${doubled ? ';r2=on>' : '>'}`;
}

/** The From tag as recordRouteValue writes it into `ftag` (undefined: not written, it is not a plain token). */
export function routeFtag(ftag: string | undefined): string | undefined {
  return ftag !== undefined && TAG_RE.test(ftag) ? ftag : undefined;
}

/** a tag safe to copy into a URI parameter as is (RFC 3261 token, no escaping needed) */
const TAG_RE = /^[A-Za-z0-9.!%*_+`'~-]{1,128}$/;
