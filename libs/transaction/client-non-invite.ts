// Non-INVITE client transaction, RFC 3261 §17.1.2.
//
//   trying --1xx--> proceeding      E: T1, doubling, capped at T2 (udp only)
//   trying/proceeding --final--> completed (K = T4 udp, 0 tcp)
//   proceeding: E fires every T2
//   F (64*T1) or fr (no response) -> timeout, local 408
import type { SipMessage } from '#libs/sip';
import { ClientTransactionBase } from './client-base.ts';
import type { TxContext } from './context.ts';
import type { ClientTransactionEvents, NonInviteClientState, Target, TerminationReason, TimerName } from './types.ts';

const ONLY_TERMINATED = ['terminated'] as const;

export class NonInviteClientTransaction extends ClientTransactionBase {
  readonly kind = 'non-invite-client' as const;
  /** Completed absorbs retransmitted finals: nothing but the end is reported */
  protected get lingeringEvents(): readonly (keyof ClientTransactionEvents)[] {
    return ONLY_TERMINATED;
  }
  private st: NonInviteClientState = { name: 'trying' };
  private eInterval: number;

  constructor(
    ctx: TxContext,
    key: string,
    request: SipMessage,
    target: Target,
    private readonly frTimer: number,
  ) {
    super(ctx, key, request, target);
    this.eInterval = ctx.config.t1;
  }

  get state(): NonInviteClientState {
    return this.st;
  }

  start(): void {
    this.transmit(this.request);
    this.keepRequestBytes();
    if (!this.reliable) this.timers.start('E', this.eInterval);
    this.timers.start('F', 64 * this.t1);
    this.armNoResponseTimer(this.frTimer);
  }

  receiveResponse(res: SipMessage): void {
    const name = this.st.name;
    if (name !== 'trying' && name !== 'proceeding') return; // completed absorbs retransmissions
    this.timers.stop('fr');
    if (res.status < 200) {
      this.provisionalReceived = true;
      this.st = { name: 'proceeding' };
      this.emit('provisional', { response: res });
      return;
    }
    this.timers.stop('E');
    this.timers.stop('F');
    this.releaseRequest();
    this.st = { name: 'completed' };
    this.deliverFinal(res);
    if (this.isTerminated) return; // a listener closed the layer
    this.lingering();
    if (this.reliable) this.finish('normal');
    else this.timers.start('K', this.ctx.config.t4);
  }

  override timerFired(name: TimerName): void {
    switch (name) {
      case 'E': return this.onTimerE();
      case 'F': return this.timeout('F');
      case 'K': return this.finish('normal');
      default:
        return super.timerFired(name);
    }
  }

  private onTimerE(): void {
    const name = this.st.name;
    if (name !== 'trying' && name !== 'proceeding') return;
    this.ctx.hooks.retransmitted('request');
    this.transmit(this.request);
    // §17.1.2.2: doubling up to T2 while trying, T2 flat once proceeding.
    this.eInterval = name === 'trying' ? Math.min(2 * this.eInterval, this.ctx.config.t2) : this.ctx.config.t2;
    this.timers.start('E', this.eInterval);
  }

  protected enterTerminated(reason: TerminationReason): void {
    this.st = { name: 'terminated', reason };
  }
}
