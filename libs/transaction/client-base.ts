// What both client transactions share: the no-response timer (fr_timer),
// local finals (408 on timeout, 503 on transport error, §16.7/§16.9), and the
// rule that the user gets exactly one `final` with first=true.
import type { SipMessage } from '#libs/sip';
import type { TxContext } from './context.ts';
import { localResponse } from './messages.ts';
import { TransactionCore } from './transaction-core.ts';
import type { ClientTransactionEvents, Target, TimeoutTimer, TimerName } from './types.ts';

export abstract class ClientTransactionBase extends TransactionCore<ClientTransactionEvents> {
  readonly side = 'client' as const;
  protected provisionalReceived = false;
  protected finalDelivered = false;

  constructor(ctx: TxContext, key: string, request: SipMessage, target: Target) {
    super(ctx, key, request, target);
  }

  /** true once any provisional response arrived */
  get hasProvisional(): boolean {
    return this.provisionalReceived;
  }

  /** true once a final (received or local) was handed to the user */
  get hasFinal(): boolean {
    return this.finalDelivered;
  }

  /** A response whose top Via branch and CSeq method match this transaction. */
  abstract receiveResponse(res: SipMessage): void;

  /** Sends the request and arms the timers; called once by the layer. */
  abstract start(): void;

  /** arms fr_timer: no response at all within ms -> timeout */
  protected armNoResponseTimer(ms: number): void {
    if (ms > 0) this.timers.start('fr', ms);
  }

  timerFired(name: TimerName): void {
    if (name === 'fr') this.timeout('fr');
  }

  /** a final response from the wire */
  protected deliverFinal(response: SipMessage): void {
    const first = !this.finalDelivered;
    this.finalDelivered = true;
    this.emit('final', { response, local: false, first });
  }

  /** a locally generated final; only when none was delivered yet */
  protected deliverLocal(status: number, reason: string, cause: 'timeout' | 'cancel-timeout' | 'transport-error', timer?: TimeoutTimer): void {
    if (this.finalDelivered) return;
    this.finalDelivered = true;
    const response = localResponse(this.request, status, reason);
    if (timer === undefined) this.emit('final', { response, local: true, cause, first: true });
    else this.emit('final', { response, local: true, cause, timer, first: true });
  }

  /** a timer ended the transaction without a final: report it, answer 408 locally, end */
  protected timeout(timer: TimeoutTimer): void {
    this.ctx.hooks.timedOut(timer);
    this.emit('timeout', { timer, provisionalReceived: this.provisionalReceived });
    this.deliverLocal(408, 'Request Timeout', 'timeout', timer);
    this.finish('timeout');
  }

  protected override onTransportError(): void {
    // §16.9: a proxy treats a transport error as a 503 from that branch.
    this.deliverLocal(503, 'Service Unavailable', 'transport-error');
    this.finish('transport-error');
  }
}
