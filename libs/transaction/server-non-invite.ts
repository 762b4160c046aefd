// Non-INVITE server transaction, RFC 3261 §17.2.2.
//
//   trying     --1xx--> proceeding          (request retrans: absorbed)
//   trying/proceeding --final--> completed  (J = 64*T1 udp, 0 tcp)
//   proceeding: request retrans -> resend last 1xx
//   completed:  request retrans -> resend final
import type { SipMessage } from '#libs/sip';
import { lingerMs } from './config.ts';
import type { TxContext } from './context.ts';
import { SentResponse } from './sent-response.ts';
import { ServerTransactionBase } from './server-base.ts';
import type { NonInviteServerState, Target, TerminationReason, TimerName } from './types.ts';

export class NonInviteServerTransaction extends ServerTransactionBase {
  readonly kind = 'non-invite-server' as const;
  private st: NonInviteServerState = { name: 'trying' };
  private lastProvisional: SipMessage | undefined;

  constructor(ctx: TxContext, key: string, request: SipMessage, responseTarget: Target, source: Target) {
    super(ctx, key, request, responseTarget, source, ctx.config.maxNonInviteLifetime);
  }

  get state(): NonInviteServerState {
    return this.st;
  }

  respond(res: SipMessage): boolean {
    const name = this.st.name;
    if (name !== 'trying' && name !== 'proceeding') return false;
    this.transmit(res);
    if (res.status < 200) {
      this.lastProvisional = res;
      this.st = { name: 'proceeding' };
      return true;
    }
    this.timers.stop('lifetime');
    // from here only the final's bytes are needed (retransmissions)
    this.lastProvisional = undefined;
    this.releaseRequest();
    this.finalSent();
    this.st = { name: 'completed', final: new SentResponse(res) };
    if (this.reliable) this.finish('normal');
    else this.timers.start('J', lingerMs(this.ctx.config));
    return true;
  }

  receiveRetransmission(): void {
    const st = this.st;
    const resend = st.name === 'completed' ? st.final.message() : st.name === 'proceeding' ? this.lastProvisional : undefined;
    if (resend === undefined) {
      this.ctx.hooks.retransmitted('absorbed');
      return;
    }
    this.ctx.hooks.retransmitted('response');
    this.transmit(resend);
  }

  override timerFired(name: TimerName): void {
    if (name === 'J') this.finish('normal');
    else super.timerFired(name);
  }

  protected enterTerminated(reason: TerminationReason): void {
    this.st = { name: 'terminated', reason };
  }
}
