// `transaction` (Kamailio t_check_trans / t_newtran): retransmissions, ACKs
// for our non-2xx finals and CANCELs of a known INVITE end here; a new
// request gets its server transaction (which answers an INVITE with 100 Trying).
import type { Step } from '#libs/pipeline';
import { STATELESS_TAG_PREFIX } from '../stateless-tag.ts';
import type { TransactionLayer } from '#libs/transaction';
import { sourceTarget, type RequestContext } from '../context.ts';

export interface TransactionStepDeps {
  tm: TransactionLayer;
  reply(ctx: RequestContext, status: number, reason: string): void;
}

const RETRY_AFTER: ReadonlyArray<readonly [string, string]> = [['Retry-After', '5']];

export function transactionStep(deps: TransactionStepDeps): Step<RequestContext> {
  return {
    name: 'transaction',
    run(ctx) {
      const d = deps.tm.receiveRequest(ctx.msg, sourceTarget(ctx));
      switch (d.kind) {
        case 'new':
          // (the INVITE server transaction has already sent 100 Trying: RFC 3261 §16.2)
          ctx.tx = d.tx;
          if (ctx.msg.method === 'CANCEL') {
            // a CANCEL for an INVITE this node never saw (RFC 3261 §16.10)
            deps.reply(ctx, 481, 'Call/Transaction Does Not Exist');
            return 'done';
          }
          return 'next';
        case 'ack-end-to-end':
          // the ACK for a reply this node sent without a transaction ends here (Kamailio sl_filter_ACK)
          if (ctx.msg.toTag()?.startsWith(STATELESS_TAG_PREFIX) === true) return 'done';
          return 'next'; // ACK for a 2xx: routed end to end, statelessly
        case 'retransmission':
        case 'ack-absorbed':
        case 'cancel':
          return 'done';
        case 'invalid':
          return { reject: 'proxy.no_transaction', detail: d.detail };
        case 'overloaded':
          // the node: 503 + Retry-After, stateless; one source over its share: dropped (nothing to reflect)
          return d.scope === 'node' ? { reject: 'proxy.overloaded', headers: RETRY_AFTER } : { reject: 'proxy.source_overloaded' };
      }
    },
  };
}
