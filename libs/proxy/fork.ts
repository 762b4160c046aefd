// Parallel forking (Kamailio t_relay with several branches; dispatcher
// algorithm 12): every hop gets its branch at once. Provisionals and every 2xx
// go upstream as they come; the first 2xx CANCELs the branches still pending,
// and so does a 6xx (RFC 3261 §16.7 step 5); once every branch has a final
// without a 2xx, the best one goes upstream (§16.7 steps 6-7,
// chooseBestResponse). A CANCEL from upstream cancels every branch.
import { chooseBestResponse, withMergedChallenges, withSocket, type ClientFinalEvent, type ClientTransaction } from '#libs/transaction';
import type { SipMessage } from '#libs/sip';
import type { BranchInfo } from './call-events.ts';
import type { Hop } from './context.ts';
import { branchRequest, Relay } from './relay.ts';

interface Fork {
  readonly hop: Hop;
  readonly client: ClientTransaction | undefined;
  readonly info: BranchInfo;
  /** the branch's first final (undefined while pending) */
  final: SipMessage | undefined;
  /** that final was our own (timeout, transport error) */
  local: boolean;
}

export class ParallelRelay extends Relay {
  private forks: Fork[] = [];
  private answered = false;

  protected override next(): void {
    const { deps } = this;
    const ctx = this.running;
    ctx.hops.forEach((hop, i) => {
      const out = deps.selectSocket(hop);
      const info: BranchInfo = { attempt: i, hop, target: hop.target, socket: out?.id ?? hop.socket ?? '', transport: out?.proto ?? hop.target.proto };
      if (out === undefined) {
        deps.log.write('warn', 'relay_no_socket', { callId: ctx.msg.callId(), hop: hop.label ?? hop.target }, 'relay: no socket can reach the next hop');
        if (this.stamp !== undefined) this.emit({ type: 'branch.failed', branch: info, cause: 'transport-error' });
        this.forks.push({ hop, client: undefined, info, final: undefined, local: true });
        return;
      }
      const req = branchRequest(ctx, hop, ctx.local, out, i, deps.maxForwards);
      deps.topology?.hideRequest(ctx, req, out);
      const target = hop.socket === undefined ? hop.target : withSocket(hop.target, out.id);
      const client = deps.tm.sendRequest(req, target);
      const fork: Fork = { hop, client, info, final: undefined, local: false };
      this.forks.push(fork);
      if (this.stamp !== undefined) this.emit({ type: 'branch.sent', branch: info });
      let firstProvisional = true;
      client.on('provisional', ({ response }) => {
        if (response.status === 100 || this.finished) return;
        if (this.stamp !== undefined) {
          this.emit({ type: 'branch.provisional', branch: info, status: response.status, first: firstProvisional });
          firstProvisional = false;
        }
        this.forward(response);
      });
      client.on('final', (ev) => this.onForkFinal(fork, ev));
    });
    // the request waits now for the branches' answers (see Relay.next)
    ctx.msg.compact();
    // every branch may have failed to leave (no socket): then answer now
    this.maybeDone();
  }

  private onForkFinal(fork: Fork, ev: ClientFinalEvent): void {
    const status = ev.response.status;
    if (status >= 200 && status < 300) {
      if (ev.first && this.stamp !== undefined) this.emit({ type: 'branch.answered', branch: fork.info, status });
      if (!this.answered) {
        this.answered = true;
        if (!this.finished) this.completed(status, false);
        this.finish();
        this.cancelOthers(fork);
      }
      // every 2xx goes upstream, from every branch (§16.7 step 5)
      this.forward(ev.response);
      return;
    }
    if (!ev.first || fork.final !== undefined) return;
    fork.final = ev.response;
    fork.local = ev.local;
    if (this.stamp !== undefined) {
      if (!ev.local) this.emit({ type: 'branch.failed', branch: fork.info, cause: 'status', status });
      else if (ev.cause === 'transport-error') this.emit({ type: 'branch.failed', branch: fork.info, cause: 'transport-error' });
      else this.emit({ type: 'branch.failed', branch: fork.info, cause: 'timeout', provisionalReceived: fork.client?.hasProvisional ?? false });
    }
    if (status >= 600) this.cancelOthers(fork);
    this.maybeDone();
  }

  /** Every branch has its final and none was a 2xx: the best one goes upstream. */
  private maybeDone(): void {
    if (this.finished || this.forks.some((f) => f.client !== undefined && f.final === undefined)) return;
    // the request's fork policy (registrar): no branch reached anybody who answered for real -> its own answer (480)
    const policy = this.running.failover;
    if (policy?.exhausted !== undefined && !this.cancelled && this.forks.every((f) => f.local || (f.final !== undefined && policy.codes.has(f.final.status)))) {
      this.allFailed(this.running);
      return;
    }
    const finals = this.forks.flatMap((f) => (f.final === undefined ? [] : [f.final]));
    const best = chooseBestResponse(finals);
    const ctx = this.running; // finish() may let go of it (see Relay's ctx)
    this.finish();
    if (best.kind === 'generate' || finals.length === 0) {
      const status = best.kind === 'generate' ? best.status : 503;
      this.completed(status, true);
      this.deps.reply(ctx, status, best.kind === 'generate' ? best.reason : 'Service Unavailable');
      return;
    }
    this.completed(best.response.status, false);
    this.forward(withMergedChallenges(best));
  }

  private cancelOthers(except: Fork): void {
    for (const f of this.forks) {
      if (f === except || f.final !== undefined || f.client === undefined || f.client.kind !== 'invite-client') continue;
      this.deps.tm.cancelBranch(f.client, undefined);
    }
  }

  protected override onCancel(): void {
    if (this.finished) return;
    this.cancelled = true;
    if (this.stamp !== undefined) this.emit({ type: 'request.cancelled' });
    for (const f of this.forks) if (f.final === undefined && f.client?.kind === 'invite-client') this.deps.tm.cancelBranch(f.client, undefined);
  }
}
