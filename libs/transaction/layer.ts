// The transaction manager (Kamailio tm): matches incoming requests to server
// transactions (§17.2.3) and responses to client transactions (§17.1.3),
// creates transactions, runs CANCEL for a proxy (§9.1, §16.10), and removes
// every transaction from its maps when it terminates.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SipMessage } from '#libs/sip';
import { RateLimitedLog, type LogRateLimit } from '#libs/rejections';
import { InviteClientTransaction } from './client-invite.ts';
import { NonInviteClientTransaction } from './client-non-invite.ts';
import type { Clock } from './clock.ts';
import { TimerQueues } from './timer-queues.ts';
import { resolveTransactionConfig, type TransactionConfig } from './config.ts';
import type { TxContext, TxHooks } from './context.ts';
import { Emitter } from './emitter.ts';
import { TransactionError } from './errors.ts';
import { branchOf, clientKey, hasMagicCookie, responseClientKey, serverKey } from './keys.ts';
import { buildCancel, cancelOk, responseTargetFor } from './messages.ts';
import { createTmMetrics, type TmMetrics } from './metrics.ts';
import { LingerQueue } from './linger-queue.ts';
import { InviteServerTransaction } from './server-invite.ts';
import { NonInviteServerTransaction } from './server-non-invite.ts';
import type { CancelOutcome, ClientOptions, Send, Target } from './types.ts';

export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

export interface TransactionLayerDeps {
  /** puts a message on the wire; a throw / rejection is a transport error */
  send: Send;
  /** default: a TimerQueues of its own (one unref'd Node timer for all SIP timers) */
  clock?: Clock;
  config?: Partial<TransactionConfig>;
  logger?: Logger;
  /** rate of the per-transaction log lines (never answered, transport error, listener threw), per kind */
  logRate?: LogRateLimit;
  /**
   * bounds on live server transactions: at the node's, the oldest one that
   * only lingers for retransmissions is ended early; with none lingering (or
   * at the source's) a new request is refused (`overloaded`)
   */
  limits?: Partial<ServerLimits>;
  /** when given, sbc_tm_* metrics are registered on it */
  registry?: Registry;
}

export type TransactionLayerEvents = {
  /** a new request created a server transaction; the user must answer it with tx.respond() */
  request: { tx: ServerTransaction; msg: SipMessage; source: Target };
  /** an ACK outside any transaction (the ACK for a 2xx): route it end to end, statelessly */
  ack: { msg: SipMessage; source: Target };
  /** a response matching no client transaction: forward a 2xx statelessly (§16.7), drop the rest */
  response: { msg: SipMessage; source: Target };
};

export type RequestDisposition =
  | { kind: 'new'; tx: ServerTransaction }
  | { kind: 'retransmission'; tx: ServerTransaction }
  /** ACK for our non-2xx final (or its retransmission), swallowed */
  | { kind: 'ack-absorbed'; tx: InviteServerTransaction }
  /** ACK emitted as the layer's `ack` event */
  | { kind: 'ack-end-to-end' }
  /** CANCEL matched an INVITE server transaction: answered 200 here; `cancelled` says whether the INVITE was still unanswered */
  | { kind: 'cancel'; tx: NonInviteServerTransaction; invite: InviteServerTransaction; cancelled: boolean }
  /** no top Via / CSeq, or the layer is closed: nothing was created */
  | { kind: 'invalid'; detail: string }
  /** a new request over the live-transaction limits (the node's, or its source's): nothing was created */
  | { kind: 'overloaded'; scope: 'node' | 'source' };

export interface ServerLimits {
  /** live server transactions on the node (client transactions are held to the same number plus the BYE reserve) */
  maxServer: number;
  /** live server transactions from one source address */
  maxServerPerSource: number;
}

/** server transactions a BYE may still create once the node-wide limit is reached: a tenth of it, at least 10 */
export function byeReserve(maxServer: number): number {
  return Math.max(10, Math.ceil(maxServer / 10));
}

export type ResponseDisposition = { kind: 'matched'; tx: ClientTransaction } | { kind: 'stray' };

export class TransactionLayer extends Emitter<TransactionLayerEvents> {
  readonly config: Readonly<TransactionConfig>;
  private readonly servers = new Map<string, ServerTransaction>();
  /** live server transactions by source address (bounded: one entry per source that has one) */
  private readonly serversBySource = new Map<string, number>();
  /** server transactions counted toward their source's limit (until answered or ended) */
  private readonly sourceOf = new WeakMap<object, string>();
  private readonly limits: Readonly<ServerLimits>;
  private readonly clients = new Map<string, ClientTransaction>();
  /** transactions with their final exchanged, oldest first: what the limits reclaim */
  private readonly lingering = { server: new LingerQueue(), client: new LingerQueue() };
  private readonly ctx: TxContext;
  private readonly metrics: TmMetrics | undefined;
  private closed = false;
  private readonly log: RateLimitedLog | undefined;
  /** how an INVITE client transaction gets its CANCEL out (one function for all of them) */
  private readonly cancelStarter = (invite: InviteClientTransaction, reason: string | undefined): void => this.startCancel(invite, reason);

  constructor(deps: TransactionLayerDeps) {
    super();
    const log = deps.logger === undefined ? undefined : new RateLimitedLog(deps.logger, deps.logRate);
    this.log = log;
    this.config = resolveTransactionConfig(deps.config);
    this.limits = { maxServer: deps.limits?.maxServer ?? Infinity, maxServerPerSource: deps.limits?.maxServerPerSource ?? Infinity };
    this.metrics = deps.registry === undefined ? undefined : createTmMetrics(deps.registry, () => this.counts());
    const metrics = this.metrics;
    const hooks: TxHooks = {
      terminated: (tx) => {
        const map: Map<string, unknown> = tx.side === 'server' ? this.servers : this.clients;
        if (map.get(tx.key) === tx) {
          map.delete(tx.key);
          if (tx.side === 'server') this.uncountSource(tx);
        }
        this.lingering[tx.side].delete(tx);
      },
      lingering: (tx) => {
        if (tx.side === 'server') this.uncountSource(tx);
        this.lingering[tx.side].add(tx);
      },
      retransmitted: (kind) => metrics?.retransmitted(kind),
      timedOut: (timer) => metrics?.timedOut(timer),
      listenerError: (err, event, key) => log?.write('error', 'tm_listener', { err, event, key }, 'tm: transaction listener threw'),
    };
    this.ctx = { clock: deps.clock ?? new TimerQueues(), send: deps.send, config: this.config, log, hooks };
  }

  protected listenerFailed(err: unknown, event: string): void {
    this.log?.write('error', 'tm_layer_listener', { err, event }, 'tm: layer listener threw');
  }

  /** transactions alive (server + client): the sbc_tm_transactions_active gauge */
  size(): number {
    return this.servers.size + this.clients.size;
  }

  counts(): { server: number; client: number } {
    return { server: this.servers.size, client: this.clients.size };
  }

  /**
   * An incoming request from `source`. Retransmissions and ACKs for our
   * non-2xx finals are absorbed; a CANCEL that matches an INVITE is answered
   * 200 and reported on that INVITE's `cancel` event; anything else new
   * creates a server transaction reported on `request`.
   */
  receiveRequest(msg: SipMessage, source: Target): RequestDisposition {
    if (this.closed) return { kind: 'invalid', detail: 'transaction layer closed' };
    const key = serverKey(msg);
    if (key === undefined) return { kind: 'invalid', detail: 'request without a readable top Via or CSeq' };
    const existing = this.servers.get(key);
    const method = msg.method;

    if (method === 'ACK') {
      if (existing instanceof InviteServerTransaction && existing.receiveAck(msg)) return { kind: 'ack-absorbed', tx: existing };
      this.emit('ack', { msg, source });
      return { kind: 'ack-end-to-end' };
    }
    if (existing !== undefined) {
      existing.receiveRetransmission();
      return { kind: 'retransmission', tx: existing };
    }

    // (a CANCEL always passes: it ends work; a BYE ends a call, which frees
    // the gateways' channels, so it may use a reserve above the node-wide
    // limit: hanging up must not wait for a flood to pass. The per-source
    // limit holds for both, so a BYE flood cannot take the reserve alone.)
    if (method !== 'CANCEL') {
      // the source's limit first: a request it refuses must not cost a lingering transaction
      if ((this.serversBySource.get(source.host) ?? 0) >= this.limits.maxServerPerSource) return { kind: 'overloaded', scope: 'source' };
      const nodeLimit = method === 'BYE' ? this.limits.maxServer + byeReserve(this.limits.maxServer) : this.limits.maxServer;
      if (!this.makeRoom('server', nodeLimit)) return { kind: 'overloaded', scope: 'node' };
    }
    const responseTarget = responseTargetFor(msg, source);
    if (method === 'INVITE') {
      const tx = new InviteServerTransaction(this.ctx, key, msg, responseTarget, source);
      return this.adoptServer(tx, msg, source, 'invite');
    }
    const tx = new NonInviteServerTransaction(this.ctx, key, msg, responseTarget, source);
    if (method === 'CANCEL') {
      const invite = this.servers.get(serverKey(msg, 'INVITE') ?? '');
      if (invite instanceof InviteServerTransaction) {
        this.servers.set(key, tx);
        this.countSource(tx, source.host);
        this.metrics?.created('server', 'non_invite');
        // §9.2 / §16.10: a CANCEL that matches is answered 200 by us, whatever the INVITE's state.
        tx.respond(cancelOk(msg));
        const cancelled = invite.receiveCancel(msg);
        return { kind: 'cancel', tx, invite, cancelled };
      }
    }
    return this.adoptServer(tx, msg, source, 'non_invite');
  }

  /**
   * At the limit, ends the oldest lingering transaction of that side to make
   * room for a new one. false when the side is full of transactions still
   * at work (a new server transaction is then refused).
   */
  private makeRoom(side: 'server' | 'client', limit: number): boolean {
    const map = side === 'server' ? this.servers : this.clients;
    if (map.size < limit) return true;
    if (!this.lingering[side].reclaimOldest()) return false;
    this.metrics?.reclaimed(side);
    return true;
  }

  /**
   * The per-source limit counts server transactions not yet answered (and
   * INVITEs whose non-2xx the source has not ACKed): an answered one lingers
   * seconds more for retransmissions only (the node-wide limit still counts
   * it, and may reclaim it), so a busy trunk's finished calls do not hold its share; a flood of
   * requests nobody answers, or of INVITEs that never ACK, does.
   */
  private countSource(tx: object, host: string): void {
    this.sourceOf.set(tx, host);
    this.serversBySource.set(host, (this.serversBySource.get(host) ?? 0) + 1);
  }

  private uncountSource(tx: object): void {
    const host = this.sourceOf.get(tx);
    if (host === undefined) return;
    this.sourceOf.delete(tx);
    const n = (this.serversBySource.get(host) ?? 1) - 1;
    if (n <= 0) this.serversBySource.delete(host);
    else this.serversBySource.set(host, n);
  }

  private adoptServer(tx: ServerTransaction, msg: SipMessage, source: Target, kind: 'invite' | 'non_invite'): RequestDisposition {
    this.servers.set(tx.key, tx);
    this.countSource(tx, source.host);
    this.metrics?.created('server', kind);
    this.emit('request', { tx, msg, source });
    return { kind: 'new', tx };
  }

  /** An incoming response; goes to its client transaction or out as `response` (stray). */
  receiveResponse(msg: SipMessage, source: Target): ResponseDisposition {
    const key = responseClientKey(msg);
    const tx = key === undefined ? undefined : this.clients.get(key);
    if (this.closed) return { kind: 'stray' };
    if (tx === undefined) {
      this.metrics?.stray();
      this.emit('response', { msg, source });
      return { kind: 'stray' };
    }
    tx.receiveResponse(msg);
    return { kind: 'matched', tx };
  }

  /**
   * Sends a request statefully. The caller has already pushed its own Via
   * with a fresh z9hG4bK branch (generateBranch()). INVITE gives an
   * InviteClientTransaction (check tx.kind). Listeners added right after this
   * call see every event: nothing is emitted synchronously.
   */
  sendRequest(req: SipMessage, target: Target, opts: ClientOptions = {}): ClientTransaction {
    if (this.closed) throw new TransactionError('closed', 'sendRequest after TransactionLayer.close()');
    const method = req.method;
    if (method === 'ACK') {
      throw new TransactionError('ack_not_transactional', 'an ACK for a 2xx is end to end: send it with the transport directly, not through sendRequest');
    }
    const branch = branchOf(req.topVia());
    if (!hasMagicCookie(branch)) {
      throw new TransactionError('bad_branch', `sendRequest needs a top Via with a branch starting z9hG4bK (got ${String(branch)}); add one with generateBranch()`);
    }
    const cseq = req.cseq();
    if (cseq === undefined || cseq.method !== method) {
      throw new TransactionError('bad_cseq', `sendRequest needs a CSeq whose method is ${method}`);
    }
    const key = clientKey(branch, method);
    if (this.clients.has(key)) {
      throw new TransactionError('duplicate_transaction', `a client transaction for branch ${branch} ${method} is already running; use a new branch per hop`);
    }
    this.makeClientRoom();
    const frTimer = opts.frTimer ?? this.config.frTimer;
    let tx: ClientTransaction;
    if (method === 'INVITE') {
      const frInv = opts.frInvTimer ?? this.config.frInvTimer;
      tx = new InviteClientTransaction(this.ctx, key, req, target, frTimer, frInv, this.cancelStarter);
    } else {
      tx = new NonInviteClientTransaction(this.ctx, key, req, target, frTimer);
    }
    this.clients.set(key, tx);
    this.metrics?.created('client', method === 'INVITE' ? 'invite' : 'non_invite');
    tx.start();
    return tx;
  }

  /**
   * Cancels one branch of a forwarded INVITE (§16.10 / Timer C). The CANCEL
   * goes out once a provisional response has arrived, as its own non-INVITE
   * client transaction (findClient(branch, 'CANCEL')).
   * `reason` is a Reason header value (RFC 3326), e.g. 'SIP;cause=200;text="Call completed elsewhere"'.
   */
  cancelBranch(tx: InviteClientTransaction, reason?: string): CancelOutcome {
    if (tx.isTerminated) return 'too-late';
    return tx.requestCancel(reason);
  }

  private startCancel(invite: InviteClientTransaction, reason: string | undefined): void {
    if (this.closed) return;
    // (read once: the transaction parses the bytes it sent at each read)
    const request = invite.request;
    const branch = branchOf(request.topVia());
    if (branch === undefined) return; // impossible: sendRequest checked it
    const key = clientKey(branch, 'CANCEL');
    if (this.clients.has(key)) return;
    const cancel = buildCancel(request, reason);
    this.makeClientRoom();
    const tx = new NonInviteClientTransaction(this.ctx, key, cancel, invite.target, this.config.frTimer);
    this.clients.set(key, tx);
    this.metrics?.created('client', 'non_invite');
    tx.start();
  }

  /**
   * A proxy makes about one client transaction per server transaction, so
   * clients are held to the server limit plus the BYE reserve: beyond it the
   * oldest lingering client is reclaimed. A request is never refused for it
   * (its server transaction already exists).
   */
  private makeClientRoom(): void {
    const max = this.limits.maxServer;
    this.makeRoom('client', max + byeReserve(max));
  }

  findServer(msg: SipMessage): ServerTransaction | undefined {
    const key = serverKey(msg);
    return key === undefined ? undefined : this.servers.get(key);
  }

  findClient(branch: string, method: string): ClientTransaction | undefined {
    return this.clients.get(clientKey(branch, method));
  }

  /** Ends every transaction (reason 'shutdown') and refuses new work. */
  close(): void {
    this.closed = true;
    for (const tx of [...this.servers.values()]) tx.shutdown();
    for (const tx of [...this.clients.values()]) tx.shutdown();
    this.servers.clear();
    this.clients.clear();
  }
}
