// `admission`: while the node drains for shutdown it takes no new dialog or
// out-of-dialog work; in-dialog requests (BYE...) and transactions in flight go on.
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '../context.ts';

export function admissionStep(deps: { draining(): boolean }): Step<RequestContext> {
  return {
    name: 'admission',
    run(ctx) {
      if (deps.draining() && !ctx.inDialog && ctx.msg.method !== 'ACK' && ctx.msg.method !== 'CANCEL') return { reject: 'proxy.draining' };
      return 'next';
    },
  };
}
