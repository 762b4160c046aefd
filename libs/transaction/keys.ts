// Transaction matching keys (RFC 3261 §17.1.3 and §17.2.3). Keys are plain
// strings so the layer's maps stay flat and every entry is removed by key on
// termination. '\n' separates parts: it cannot survive header unfolding.
//
// Keys are built with join(), which copies the parts into one flat string.
// A template literal makes a tree of concatenations whose leaves are slices
// of the parsed values, and each slice keeps the whole text of its message
// alive: a key lives as long as its transaction lingers (5 s and more), so
// every call's message texts were copied by young collections and promoted.
import type { SipMessage, Via } from '#libs/sip';

export const MAGIC_COOKIE = 'z9hG4bK';

export function branchOf(via: Via | undefined): string | undefined {
  const b = via?.params.get('branch');
  return typeof b === 'string' && b.length > 0 ? b : undefined;
}

export function hasMagicCookie(branch: string | undefined): branch is string {
  return branch !== undefined && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length;
}

/** sent-by as compared by §17.2.3: host case-insensitive, default port filled in */
export function sentBy(via: Via): string {
  const port = via.port ?? (via.transport === 'TLS' || via.transport === 'WSS' ? 5061 : 5060);
  return `${via.host.toLowerCase()}:${port}`;
}

/**
 * Server key of a request. ACK maps to INVITE so it finds the INVITE it
 * acknowledges; CANCEL keeps its own method (it is its own transaction).
 * Without the magic cookie (RFC 2543 peers) a coarse key from Call-ID,
 * From tag, CSeq and top Via still pairs retransmissions and ACKs.
 * undefined when the request lacks a top Via or CSeq.
 */
export function serverKey(msg: SipMessage, methodOverride?: string): string | undefined {
  const via = msg.topVia();
  const cseq = msg.cseq();
  if (via === undefined || cseq === undefined) return undefined;
  const method = methodOverride ?? (msg.method === 'ACK' ? 'INVITE' : msg.method);
  const branch = branchOf(via);
  if (hasMagicCookie(branch)) return ['3261', branch, sentBy(via), method].join('\n');
  return ['2543', msg.callId() ?? '', msg.fromTag() ?? '', cseq.seq, method, sentBy(via), branch ?? ''].join('\n');
}

/** Client key: top Via branch + CSeq method (§17.1.3). */
export function clientKey(branch: string, method: string): string {
  return [branch, method].join('\n');
}

/** Client key of a received response; undefined when it has no branch or CSeq. */
export function responseClientKey(res: SipMessage): string | undefined {
  const branch = branchOf(res.topVia());
  const cseq = res.cseq();
  if (branch === undefined || cseq === undefined) return undefined;
  return clientKey(branch, cseq.method);
}
