// The proxy's hook for topology hiding (Kamailio topoh / topos). The core
// calls it at four points and knows nothing of how values are hidden:
//   restore       a step before loose-route: undo what was hidden in the
//                 R-URI / Route of a request coming back (may set ctx.hops)
//   prepare       a step after routing, before relay: remember what must be
//                 restored later (topos stores the dialog, one round trip)
//   hideRequest   each copy of a request about to leave (relay branch, 2xx ACK)
//   hideResponse  each response relayed upstream (may wait for a store write);
//                 responseHider, when offered, the same bound to a copy of
//                 what it needs, so the relay can let the request go
//   restoreStray  a response no client transaction knows (2xx retransmission
//                 reaching a node that did not send the request)
import type { Step } from '#libs/pipeline';
import type { SipMessage } from '#libs/sip';
import type { ListenSocketInfo } from '#libs/transport';
import type { RequestContext } from './context.ts';

export interface TopologyHiding {
  readonly mode: string;
  readonly restore: Step<RequestContext>;
  readonly prepare?: Step<RequestContext>;
  /** `req` is the outgoing copy, the node's Via already on top; `out` the socket it leaves by */
  hideRequest(ctx: RequestContext, req: SipMessage, out: ListenSocketInfo): void;
  /** `res` has lost the node's Via; it goes upstream to ctx.source through ctx.local */
  hideResponse(ctx: RequestContext, res: SipMessage): void | Promise<void>;
  /**
   * Optional: hideResponse bound to a copy of what it needs of ctx. The
   * relay takes it once it has its final outcome and lets the context go
   * (its calls linger seconds for retransmitted 2xx); without it the relay
   * keeps the context for as long as its transactions live.
   */
  responseHider?(ctx: RequestContext): (res: SipMessage) => void | Promise<void>;
  /** on success the message's Via stack is whole again (the node's on top) and its other fields hidden; false = drop */
  restoreStray(res: SipMessage, local: ListenSocketInfo): boolean | Promise<boolean>;
  /**
   * For an initial request: the Call-ID its relayed copy carries when the
   * Call-ID is hidden (mask_callid), undefined when the other side sees the
   * same one. Deterministic, so a record can name both legs' Call-IDs.
   */
  otherLegCallId(msg: SipMessage): string | undefined;
}
