// What both server transactions share: events, the lifetime cap, and the
// transport-error rule (§17.2.4: inform the user, the transaction ends).
import type { SipMessage } from '#libs/sip';
import type { TxContext } from './context.ts';
import { TransactionCore } from './transaction-core.ts';
import type { ServerTransactionEvents, Target } from './types.ts';

export abstract class ServerTransactionBase extends TransactionCore<ServerTransactionEvents> {
  readonly side = 'server' as const;

  constructor(
    ctx: TxContext,
    key: string,
    request: SipMessage,
    /** where responses go (computed from the top Via and the source, RFC 3261 §18.2.2) */
    responseTarget: Target,
    /** where the request came from */
    readonly source: Target,
    lifetime: number,
  ) {
    super(ctx, key, request, responseTarget);
    // A user that never answers must not pin the transaction forever.
    this.timers.start('lifetime', lifetime, () => {
      ctx.hooks.timedOut('lifetime');
      ctx.log?.write('warn', 'tm_never_answered', { key, method: request.method }, 'tm: server transaction never answered, dropped');
      this.finish('lifetime');
    });
  }

  /** Passes a response from the user to the wire. false when the state does not allow it (dropped). */
  abstract respond(res: SipMessage): boolean;

  /** Called once the transaction waits for nothing more from its source: final sent (2xx or non-INVITE), or a non-2xx ACKed. */
  protected finalSent(): void {
    this.lingering();
  }

  /** A retransmission of the request arrived (same key). */
  abstract receiveRetransmission(): void;

  protected override onTransportError(): void {
    this.finish('transport-error');
  }
}
