// Common plumbing of the four state machines: the named timers, sending with
// transport-error capture, and the end of life (timers stopped, map entry
// removed, `terminated` emitted, listeners dropped). Internal.
import type { SipMessage } from '#libs/sip';
import type { TxContext } from './context.ts';
import { Emitter } from './emitter.ts';
import { TransactionError } from './errors.ts';
import { SentMessage } from './sent-response.ts';
import { TimerSet, type TimerOwner } from './timer-set.ts';
import { isReliable, type Target, type TerminationReason, type TimerName } from './types.ts';

type WithTerminated = { terminated: { reason: TerminationReason } } & Record<string, unknown>;

export abstract class TransactionCore<E extends WithTerminated> extends Emitter<E> implements TimerOwner {
  protected readonly timers: TimerSet;
  protected readonly reliable: boolean;
  readonly createdAt: number;
  private ended = false;
  #request: SipMessage | undefined;
  /** the request as bytes once keepRequestBytes() ran (client transactions, after the first send) */
  #requestBytes: SentMessage | undefined;

  constructor(
    protected readonly ctx: TxContext,
    /** the matching key in the layer's map */
    readonly key: string,
    request: SipMessage,
    /** client: where the request goes; server: where responses go */
    readonly target: Target,
  ) {
    super();
    this.#request = request;
    this.timers = new TimerSet(ctx.clock, this);
    this.reliable = isReliable(target.proto);
    this.createdAt = ctx.clock.now();
  }

  abstract readonly side: 'server' | 'client';

  /**
   * The events this kind of transaction can still emit once it lingers: at
   * lingering() the listeners of the others go, so a lingering transaction
   * does not keep its users' closures (and what they hold: a relay, its
   * hop, the request's texts) for its last seconds.
   */
  protected abstract get lingeringEvents(): readonly (keyof E)[];

  /** one of this transaction's timers fell due (each class handles its own names) */
  abstract timerFired(name: TimerName): void;

  protected listenerFailed(err: unknown, event: string): void {
    this.ctx.hooks.listenerError(err, event, this.key);
  }

  /**
   * The request that created the transaction; only until its final response
   * (then it throws). A client transaction keeps the bytes it sent: each
   * read parses them again into a new message (retransmissions, ACK, CANCEL).
   */
  get request(): SipMessage {
    const req = this.#request ?? this.#requestBytes?.message();
    if (req === undefined) throw new TransactionError('request_released', `tm: ${this.key.replace(/\n/g, ' ')} has its final response and no longer holds its request`);
    return req;
  }

  /**
   * A transaction with its final response lingers seconds more (Timers
   * J/K/L/M/D) for retransmissions, which need only the final's bytes or the
   * ACK. Dropping the request then lets the parsed message die young instead
   * of being promoted to the old generation by every call.
   */
  protected releaseRequest(): void {
    this.#request = undefined;
    this.#requestBytes = undefined;
  }

  /**
   * Keeps the request as the bytes that went out, not the parsed message:
   * an unanswered branch lives up to Timer B / fr_timer (32 s), and the
   * parsed copy (rows, header strings, parsed Via and CSeq, a pooled
   * Buffer) is twice its bytes. Call after the request was transmitted.
   */
  protected keepRequestBytes(): void {
    const req = this.#request;
    if (req === undefined) return;
    this.#requestBytes = new SentMessage(req);
    this.#request = undefined;
  }

  get isTerminated(): boolean {
    return this.ended;
  }

  /** names of the timers currently armed (for tests and admin dumps) */
  activeTimers(): string[] {
    return this.timers.names();
  }

  protected get t1(): number {
    return this.ctx.config.t1;
  }

  /**
   * Hands a message to the transport. A synchronous throw is reported on a
   * microtask so a transaction never emits events from inside its own
   * constructor or the caller's sendRequest/respond call.
   */
  protected transmit(msg: SipMessage): void {
    let r: void | Promise<void>;
    try {
      r = this.ctx.send(msg, this.target);
    } catch (err) {
      queueMicrotask(() => this.transportFailed(err));
      return;
    }
    if (r !== undefined && typeof (r as Promise<void>).then === 'function') {
      (r as Promise<void>).then(undefined, (err: unknown) => this.transportFailed(err));
    }
  }

  private transportFailed(err: unknown): void {
    if (this.ended) return;
    this.ctx.log?.write('debug', 'tm_transport_error', { err, key: this.key, target: this.target }, 'tm: transport error');
    this.onTransportError(err);
  }

  protected abstract onTransportError(err: unknown): void;

  /** the state-specific part of termination: set the terminated state */
  protected abstract enterTerminated(reason: TerminationReason): void;

  /** ends the transaction; idempotent */
  protected finish(reason: TerminationReason): void {
    if (this.ended) return;
    this.ended = true;
    this.timers.stopAll();
    this.enterTerminated(reason);
    this.ctx.hooks.terminated(this);
    // E is constrained to carry exactly this payload for 'terminated'
    this.emit('terminated', { reason } as E['terminated']);
    this.removeAllListeners();
  }

  /** TransactionLayer.close(): stop silently-ish, reporting 'shutdown' */
  shutdown(): void {
    this.finish('shutdown');
  }

  /** The final is exchanged: from here the transaction only absorbs retransmissions. */
  protected lingering(): void {
    this.keepListeners(this.lingeringEvents);
    this.ctx.hooks.lingering?.(this);
  }

  /**
   * Ends a lingering transaction before its timer (reason 'reclaimed'): the
   * layer's room for a new one at the live-transaction limit. Only called
   * on transactions that reported `lingering`.
   */
  reclaim(): void {
    this.finish('reclaimed');
  }
}
