// The `preload-route` screening step. Loose routing pops the Route entries
// that name this node and relays to the next one; for an initial request that
// next entry was chosen by the sender, so it must be a hop we route to anyway
// (a gateway, an allowed host) or the sender must be trusted.
import type { Step } from '#libs/pipeline';
import type { OwnAddresses, RequestContext } from '#libs/proxy';
import type { RemoteInfo } from '#libs/transport';
import type { SipMessage } from '#libs/sip';

export interface PreloadRouteDeps {
  own: OwnAddresses;
  /** the source is trusted (permissions trusted table or trusted group) */
  trusted(msg: SipMessage, source: RemoteInfo): boolean;
  /** next hops any source may preload: "host" (any port) and "host:port", lower-case, no IPv6 brackets */
  allowed(): ReadonlySet<string>;
}

function hostKey(host: string): string {
  const h = host.toLowerCase();
  return h.charCodeAt(0) === 91 ? h.slice(1, -1) : h;
}

export function preloadRouteStep(deps: PreloadRouteDeps): Step<RequestContext> {
  return {
    name: 'preload-route',
    run(ctx) {
      const msg = ctx.msg;
      if (ctx.inDialog || !msg.hasHeader('route')) return 'next';
      const routes = msg.routes();
      let i = 0;
      while (i < routes.length && i < 2 && deps.own.isOwnUri(routes[i].uri)) i++;
      // none of ours first: loose-route refuses it (proxy.foreign_route); all ours: routed by us
      if (i === 0 || i >= routes.length) return 'next';
      const next = routes[i].uri;
      if (next !== undefined) {
        const allowed = deps.allowed();
        const h = hostKey(next.host);
        if (allowed.has(h) || allowed.has(`${h}:${next.port ?? 5060}`)) return 'next';
      }
      if (deps.trusted(msg, ctx.source)) return 'next';
      return { reject: 'preload_route.denied', detail: `Route to ${routes[i].uriText.slice(0, 80)}` };
    },
  };
}
