// What both server transactions share: events, the lifetime cap, and the
// transport-error rule (§17.2.4: inform the user, the transaction ends).
import type { SipMessage } from '#libs/sip';
import type { TxContext } from './context.ts';
import { TransactionCore } from './transaction-core.ts';
import type { ServerTransactionEvents, Target, TimerName } from './types.ts';

const ONLY_TERMINATED = ['terminated'] as const;

export abstract class ServerTransactionBase extends TransactionCore<ServerTransactionEvents> {
  readonly side = 'server' as const;
  /** a lingering server transaction only absorbs retransmissions and ACKs (cancel and ack come before) */
  protected get lingeringEvents(): readonly (keyof ServerTransactionEvents)[] {
    return ONLY_TERMINATED;
  }

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
    this.timers.start('lifetime', lifetime);
  }

  timerFired(name: TimerName): void {
    if (name !== 'lifetime') return;
    // (never answered: the request is still held, it goes with the final)
    this.ctx.hooks.timedOut('lifetime');
    this.ctx.log?.write('warn', 'tm_never_answered', { key: this.key, method: this.request.method }, 'tm: server transaction never answered, dropped');
    this.finish('lifetime');
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
