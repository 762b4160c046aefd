// `relay` (Kamailio t_relay): stateful relay through the Relay for requests
// with a server transaction; a 2xx ACK is forwarded statelessly.
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '../context.ts';
import { ParallelRelay } from '../fork.ts';
import { Relay, type RelayDeps } from '../relay.ts';

export function relayStep(deps: RelayDeps & { forwardStateless(ctx: RequestContext): void }): Step<RequestContext> {
  return {
    name: 'relay',
    run(ctx) {
      if (ctx.hops.length === 0) return { reject: 'proxy.no_route' };
      if (ctx.tx === undefined) {
        deps.forwardStateless(ctx);
        return 'done';
      }
      // several hops and `parallel` (dispatcher algorithm 12): all branches at once
      if (ctx.parallel && ctx.hops.length > 1) new ParallelRelay(deps, ctx).start();
      else new Relay(deps, ctx).start();
      return 'done';
    },
  };
}
