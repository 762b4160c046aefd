// INVITE client transaction, RFC 3261 §17.1.1 with the RFC 6026 Accepted
// state, plus the proxy timers of §16.6/§16.8 (Timer C) and Kamailio fr_timer.
//
//   calling --1xx--> proceeding           A: T1 doubling (udp); B: 64*T1; fr: no response
//   calling/proceeding --2xx--> accepted (M = 64*T1; further 2xx passed up)
//   calling/proceeding --3xx-6xx--> completed: ACK sent (D = 32 s udp, 0 tcp)
//   completed: final retransmission -> ACK re-sent
//   C (restarted by each 1xx): with a 1xx -> CANCEL + local 408, wait for the 487;
//                              without   -> local 408, end
//   cancel (64*T1 after CANCEL): no final -> local 487, end (§9.1)
import type { SipMessage } from '#libs/sip';
import { lingerMs } from './config.ts';
import { ClientTransactionBase } from './client-base.ts';
import type { TxContext } from './context.ts';
import { buildAck } from './messages.ts';
import { SentMessage } from './sent-response.ts';
import type { CancelOutcome, ClientTransactionEvents, InviteClientState, Target, TerminationReason, TimerName } from './types.ts';

/** How the transaction gets a CANCEL out: the layer runs it as its own non-INVITE client transaction. */
export type CancelStarter = (invite: InviteClientTransaction, reason: string | undefined) => void;

const FINAL_AND_TERMINATED = ['final', 'terminated'] as const;

export class InviteClientTransaction extends ClientTransactionBase {
  readonly kind = 'invite-client' as const;
  /** lingering, it still passes 2xx retransmissions and forks up (Accepted), and a 2xx after a non-2xx (Completed) */
  protected get lingeringEvents(): readonly (keyof ClientTransactionEvents)[] {
    return FINAL_AND_TERMINATED;
  }
  private st: InviteClientState = { name: 'calling' };
  private aInterval: number;
  private cancelState: 'none' | 'pending' | 'sent' = 'none';
  private cancelReason: string | undefined;

  constructor(
    ctx: TxContext,
    key: string,
    request: SipMessage,
    target: Target,
    private readonly frTimer: number,
    private readonly frInvTimer: number,
    private readonly startCancel: CancelStarter,
  ) {
    super(ctx, key, request, target);
    this.aInterval = ctx.config.t1;
  }

  get state(): InviteClientState {
    return this.st;
  }

  /** 'none' | 'pending' (waiting for a 1xx) | 'sent' */
  get cancelStatus(): 'none' | 'pending' | 'sent' {
    return this.cancelState;
  }

  start(): void {
    this.transmit(this.request);
    this.keepRequestBytes();
    if (!this.reliable) this.timers.start('A', this.aInterval);
    this.timers.start('B', 64 * this.t1);
    this.armNoResponseTimer(this.frTimer);
    this.timers.start('C', this.frInvTimer);
  }

  receiveResponse(res: SipMessage): void {
    const status = res.status;
    const st = this.st;
    switch (st.name) {
      case 'calling':
      case 'proceeding':
        if (status < 200) return this.onProvisional(res);
        if (status < 300) return this.onSuccess(res);
        return this.onFailure(res);
      case 'completed':
        if (status >= 300) {
          // the ACK was lost: re-send it, the user already has this final
          const ack = st.ack.message();
          if (ack !== undefined) {
            this.ctx.hooks.retransmitted('ack');
            this.transmit(ack);
          }
        } else if (status >= 200) {
          // a 2xx can only follow a non-2xx from a broken peer, but a 2xx makes a dialog: pass it up
          this.deliverFinal(res);
        }
        return;
      case 'accepted':
        // retransmitted 2xx or 2xx of another fork: the proxy forwards each (§16.7 step 5)
        if (status >= 200 && status < 300) this.deliverFinal(res);
        return;
      case 'terminated':
        return;
    }
  }

  /**
   * Called by TransactionLayer.cancelBranch. A CANCEL may only go out after a
   * provisional response (§9.1); before that it is kept pending, and dropped
   * if a final arrives first.
   */
  requestCancel(reason: string | undefined): CancelOutcome {
    if (this.cancelState !== 'none') return 'already';
    const name = this.st.name;
    if (name !== 'calling' && name !== 'proceeding') return 'too-late';
    this.cancelReason = reason;
    if (!this.provisionalReceived) {
      this.cancelState = 'pending';
      return 'pending';
    }
    this.sendCancel();
    return 'sent';
  }

  private onProvisional(res: SipMessage): void {
    if (this.st.name === 'calling') {
      this.timers.stop('A');
      this.timers.stop('B');
      this.st = { name: 'proceeding' };
    }
    this.timers.stop('fr');
    this.provisionalReceived = true;
    if (this.finalDelivered) return; // Timer C already answered locally; only the 487 matters now
    this.timers.start('C', this.frInvTimer);
    this.emit('provisional', { response: res });
    if (this.cancelState === 'pending' && !this.isTerminated) this.sendCancel();
  }

  private onSuccess(res: SipMessage): void {
    this.timers.stopAll();
    this.releaseRequest();
    this.st = { name: 'accepted' };
    this.timers.start('M', lingerMs(this.ctx.config));
    this.lingering();
    this.deliverFinal(res);
  }

  private onFailure(res: SipMessage): void {
    this.timers.stopAll();
    const ack = buildAck(this.request, res);
    this.releaseRequest();
    this.transmit(ack);
    this.st = { name: 'completed', ack: new SentMessage(ack) };
    // after a local final (Timer C, cancel) the downstream 487 is only ACKed
    if (!this.finalDelivered) this.deliverFinal(res);
    if (this.isTerminated) return; // a listener closed the layer
    this.lingering();
    if (this.reliable) this.finish('normal');
    else this.timers.start('D', this.ctx.config.timerD);
  }

  override timerFired(name: TimerName): void {
    switch (name) {
      case 'A': return this.onTimerA();
      case 'B':
        if (this.st.name === 'calling') this.timeout('B');
        return;
      case 'C': return this.onTimerC();
      case 'cancel': return this.onCancelTimeout();
      case 'M':
      case 'D':
        return this.finish('normal');
      default:
        return super.timerFired(name);
    }
  }

  private onTimerA(): void {
    if (this.st.name !== 'calling') return;
    this.ctx.hooks.retransmitted('request');
    this.transmit(this.request);
    this.aInterval *= 2; // no T2 cap for INVITE (§17.1.1.2)
    this.timers.start('A', this.aInterval);
  }

  private onTimerC(): void {
    const name = this.st.name;
    if (name !== 'calling' && name !== 'proceeding') return;
    if (!this.provisionalReceived) {
      // §16.8: no provisional -> behave as if a 408 arrived
      this.timeout('C');
      return;
    }
    // §16.8: with a provisional the proxy MUST CANCEL. The user gets its 408 now
    // (so it can fail over at once, as Kamailio does); the transaction stays to ACK the 487.
    this.ctx.hooks.timedOut('C');
    this.emit('timeout', { timer: 'C', provisionalReceived: true });
    this.deliverLocal(408, 'Request Timeout', 'timeout', 'C');
    if (this.isTerminated) return; // a listener closed the layer
    if (this.cancelState !== 'sent') this.sendCancel();
  }

  private sendCancel(): void {
    this.cancelState = 'sent';
    this.timers.stop('C');
    // §9.1: no final within 64*T1 of the CANCEL -> consider the branch cancelled
    this.timers.start('cancel', 64 * this.t1);
    this.startCancel(this, this.cancelReason);
  }

  private onCancelTimeout(): void {
    this.ctx.hooks.timedOut('cancel');
    if (!this.finalDelivered) {
      this.emit('timeout', { timer: 'cancel', provisionalReceived: this.provisionalReceived });
      this.deliverLocal(487, 'Request Terminated', 'cancel-timeout', 'cancel');
    }
    this.finish('timeout');
  }

  protected enterTerminated(reason: TerminationReason): void {
    this.st = { name: 'terminated', reason };
  }
}
