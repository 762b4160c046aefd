// INVITE server transaction, RFC 3261 §17.2.1 with the RFC 6026 Accepted state.
//
//   proceeding --1xx--> proceeding         (INVITE retrans: resend last 1xx)
//   proceeding --2xx--> accepted  (L)      (INVITE retrans: resend 2xx; more 2xx from user: send)
//   proceeding --3xx-6xx--> completed (G udp, H)
//   completed  --ACK--> confirmed (I = T4 udp, 0 tcp)
//   completed  --H--> terminated (ack-timeout)
import type { SipMessage } from '#libs/sip';
import { lingerMs } from './config.ts';
import type { TxContext } from './context.ts';
import { tryingResponse } from './messages.ts';
import { SentMessage, SentResponse } from './sent-response.ts';
import { ServerTransactionBase } from './server-base.ts';
import type { InviteServerState, Target, TerminationReason, TimerName } from './types.ts';

export class InviteServerTransaction extends ServerTransactionBase {
  readonly kind = 'invite-server' as const;
  private st: InviteServerState = { name: 'proceeding' };
  /** the last 1xx from the user, as bytes (an INVITE retransmission gets it again) */
  private lastProvisional: SentMessage | undefined;
  /** our 100 Trying went out and no 1xx from the user since: a retransmission gets it made again from the request (nothing kept per call) */
  private tryingLast = false;
  private gInterval: number;

  constructor(ctx: TxContext, key: string, request: SipMessage, responseTarget: Target, source: Target) {
    super(ctx, key, request, responseTarget, source, ctx.config.maxInviteLifetime);
    this.gInterval = ctx.config.t1;
    if (ctx.config.send100Trying) {
      // A stateful proxy quenches INVITE retransmissions at once (§16.2).
      this.transmit(tryingResponse(request));
      this.tryingLast = true;
    }
  }

  get state(): InviteServerState {
    return this.st;
  }

  respond(res: SipMessage): boolean {
    const status = res.status;
    const st = this.st;
    if (st.name === 'proceeding') {
      if (status < 200) {
        this.transmit(res);
        this.lastProvisional = new SentMessage(res);
        this.tryingLast = false;
        return true;
      }
      this.timers.stop('lifetime');
      this.transmit(res);
      // from here only the final's bytes are needed (retransmissions)
      this.lastProvisional = undefined;
      this.tryingLast = false;
      this.releaseRequest();
      if (status < 300) {
        this.finalSent();
        // RFC 6026: stay to absorb INVITE retransmissions and let later 2xx through.
        this.st = { name: 'accepted', final: new SentResponse(res) };
        this.timers.start('L', lingerMs(this.ctx.config));
        return true;
      }
      this.st = { name: 'completed', final: new SentResponse(res) };
      if (!this.reliable) this.timers.start('G', this.gInterval);
      this.timers.start('H', 64 * this.t1);
      return true;
    }
    if (st.name === 'accepted' && status >= 200 && status < 300) {
      // 2xx retransmissions from the UAS and 2xx of other forks go upstream (RFC 6026 §8.5).
      this.transmit(res);
      this.st = { name: 'accepted', final: new SentResponse(res) };
      return true;
    }
    return false;
  }

  receiveRetransmission(): void {
    const st = this.st;
    let resend: SipMessage | undefined;
    if (st.name === 'proceeding') resend = this.tryingLast ? tryingResponse(this.request) : this.lastProvisional?.message();
    else if (st.name === 'completed' || st.name === 'accepted') resend = st.final.message();
    if (resend === undefined) {
      this.ctx.hooks.retransmitted('absorbed');
      return;
    }
    this.ctx.hooks.retransmitted('response');
    this.transmit(resend);
  }

  /**
   * An ACK with this transaction's key. true when it belongs here (ACK for
   * our non-2xx final, or a retransmission of it); false when it is the
   * user's business: in Accepted it acknowledges a 2xx and travels end to end.
   */
  receiveAck(ack: SipMessage): boolean {
    const st = this.st;
    switch (st.name) {
      case 'completed':
        this.timers.stop('G');
        this.timers.stop('H');
        this.st = { name: 'confirmed' };
        this.emit('ack', { ack });
        if (this.isTerminated) return true; // a listener closed the layer
        // a non-2xx counts toward its source until the source ACKs it: a flooder never does
        // (after the emit: lingering drops the ack listeners)
        this.finalSent();
        if (this.reliable) this.finish('normal');
        else this.timers.start('I', this.ctx.config.t4);
        return true;
      case 'confirmed':
        this.ctx.hooks.retransmitted('absorbed');
        return true;
      case 'accepted':
        return false;
      case 'proceeding':
        // An ACK before any final answers nothing; drop it.
        return true;
      case 'terminated':
        return false;
    }
  }

  /** A CANCEL matched this INVITE. true when it still had no final (the user is told via `cancel`). */
  receiveCancel(cancel: SipMessage): boolean {
    if (this.st.name !== 'proceeding') return false;
    this.emit('cancel', { cancel });
    return true;
  }

  override timerFired(name: TimerName): void {
    switch (name) {
      case 'G': return this.onTimerG();
      case 'H':
        this.ctx.hooks.timedOut('H');
        return this.finish('ack-timeout');
      case 'L':
      case 'I':
        return this.finish('normal');
      default:
        return super.timerFired(name);
    }
  }

  private onTimerG(): void {
    const st = this.st;
    if (st.name !== 'completed') return;
    const resend = st.final.message();
    if (resend !== undefined) {
      this.ctx.hooks.retransmitted('response');
      this.transmit(resend);
    }
    this.gInterval = Math.min(2 * this.gInterval, this.ctx.config.t2);
    this.timers.start('G', this.gInterval);
  }

  protected enterTerminated(reason: TerminationReason): void {
    this.st = { name: 'terminated', reason };
  }
}
