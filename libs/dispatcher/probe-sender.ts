// Sends one OPTIONS probe (ds_ping_method) to a destination through the
// transaction layer, from the destination's `socket` when it has one, with
// From = its ping_from attr or ds_ping_from, and ds_ping_fr_timer as the
// transaction's fr_timer. Resolves with the final status and the round trip.
import { hopForUri, viaValue } from '#libs/proxy';
import { createRequest, generateBranch, generateCallId, generateTag } from '#libs/sip';
import { withSocket, type TransactionLayer, type Target } from '#libs/transaction';
import { socketId, type ListenSocketInfo, type SocketId } from '#libs/transport';
import type { ProbeAnswer, SendProbe } from './prober.ts';
import type { Destination } from './types.ts';

export interface ProbeSenderOptions {
  readonly tm: Pick<TransactionLayer, 'sendRequest'>;
  /** the outbound socket for a target (TransportLayer.selectSocket) */
  readonly selectSocket: (target: Target, via?: SocketId) => ListenSocketInfo | undefined;
  /** ds_ping_method */
  readonly method: string;
  /** ds_ping_from */
  readonly from: string;
  /** ds_ping_fr_timer in ms; 0 = the transaction layer's fr_timer */
  readonly frTimerMs: number;
  readonly now?: () => number;
}

/** The hop of a destination: its URI's target, and its socket attr. */
export function destinationTarget(d: Destination): (Target & { socket?: SocketId }) | undefined {
  const hop = hopForUri(d.parsed, d.uri);
  if (hop === undefined) return undefined;
  const s = d.attrs.socket;
  return s === undefined ? hop.target : withSocket(hop.target, socketId(s.proto === 'tcp' ? 'tcp' : 'udp', s.host, s.port ?? 5060));
}

export function probeSender(o: ProbeSenderOptions): SendProbe {
  const now = o.now ?? (() => performance.now());
  return (dest) => new Promise<ProbeAnswer>((resolve, reject) => {
    const target = destinationTarget(dest);
    const out = target && o.selectSocket(target, target.socket);
    if (!target || !out) {
      reject(new Error(`no local socket can reach ${dest.uri}${dest.attrs.socket ? ` (socket attr ${dest.attrs.socket.proto}:${dest.attrs.socket.host})` : ''}`));
      return;
    }
    const from = dest.attrs.pingFrom ?? o.from;
    const req = createRequest({
      method: o.method,
      uri: dest.uri,
      headers: [
        ['Via', viaValue(out, generateBranch())],
        ['Max-Forwards', '70'],
        ['From', `<${from}>;tag=${generateTag()}`],
        ['To', `<${dest.uri}>`],
        ['Call-ID', generateCallId()],
        ['CSeq', `1 ${o.method}`],
        ['Content-Length', '0'],
      ],
    });
    const sentAt = now();
    const tx = o.tm.sendRequest(req, target, o.frTimerMs > 0 ? { frTimer: o.frTimerMs } : {});
    tx.on('final', (ev) => {
      if (!ev.first) return;
      resolve({ status: ev.response.status ?? 0, local: ev.local, ms: now() - sentAt });
    });
  });
}
