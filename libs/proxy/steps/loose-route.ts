// `loose-route` (Kamailio rr loose_route): requests carrying a Route that
// names this node pop it (both entries of a double Record-Route) and go to
// the next Route entry, or to the Request-URI when none is left. In-dialog
// requests without such a Route are not ours to route: 404 (ACKs dropped).
import type { Step } from '#libs/pipeline';
import type { RequestContext } from '../context.ts';
import { hopForUri } from '../hops.ts';
import type { OwnAddresses } from '../own-addresses.ts';

export function looseRouteStep(deps: { own: OwnAddresses }): Step<RequestContext> {
  return {
    name: 'loose-route',
    run(ctx) {
      // already routed by an earlier step (topology hiding restored the dialog's route)
      if (ctx.hops.length > 0) return 'next';
      const msg = ctx.msg;
      if (!msg.hasHeader('route')) {
        if (!ctx.inDialog) return 'next';
        return { reject: msg.method === 'ACK' ? 'proxy.ack_not_routable' : 'proxy.not_here' };
      }
      const routes = msg.routes();
      let popped = 0;
      while (popped < routes.length && popped < 2 && deps.own.isOwnUri(routes[popped].uri)) {
        // the dialog's original From tag, from whichever of our entries carries it (call events: who sent it)
        ctx.ftag ??= routes[popped].uri?.params.get('ftag') ?? undefined;
        msg.removeFirstValue('route');
        popped++;
      }
      if (popped === 0) {
        // a pre-loaded Route to somewhere else: an SBC does not relay for strangers
        return { reject: ctx.inDialog ? 'proxy.not_here' : 'proxy.foreign_route' };
      }
      const next = routes[popped];
      if (next === undefined && deps.own.isOwnUri(msg.requestUri())) {
        // the Request-URI names this node too: an initial request pre-routed to us goes to the
        // routing steps (dispatcher); an in-dialog one would loop back to us
        return ctx.inDialog ? { reject: 'proxy.not_here' } : 'next';
      }
      const hop = next !== undefined ? hopForUri(next.uri, next.uriText) : hopForUri(msg.requestUri(), msg.uri);
      if (hop === undefined) return { reject: 'proxy.unroutable_uri' };
      ctx.hops = [hop];
      return 'next';
    },
  };
}
