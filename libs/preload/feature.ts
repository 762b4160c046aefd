// The preload-route feature: no relaying to hosts a stranger names in Route
// headers. A screening step, so a refusal creates no transaction.
import type { NodeConfig } from '#libs/config';
import { dispatcherFeature } from '#libs/dispatcher';
import { defineFeature } from '#libs/feature';
import { permissionsFeature } from '#libs/permissions';
import { OwnAddresses } from '#libs/proxy';
import { parseUri } from '#libs/sip';
import { preloadRouteSection, type PreloadRouteConfig } from './config.ts';
import { PRELOAD_REJECTIONS } from './rejections.ts';
import { preloadRouteStep } from './step.ts';

type PreloadNodeConfig = NodeConfig & { readonly preload_route: PreloadRouteConfig };

function bare(host: string): string {
  const h = host.trim().toLowerCase();
  return h.startsWith('[') ? h.replace(/^\[([^\]]+)\](.*)$/, '$1$2') : h;
}

export const preloadRouteFeature = defineFeature<PreloadNodeConfig>({
  name: 'preload-route',
  doc: 'Refuses initial requests preloaded with a Route past this node to a host the sender chose, unless trusted (403 Preload Route denied).',
  sections: [preloadRouteSection],
  rejections: Object.values(PRELOAD_REJECTIONS),
  start(ctx) {
    const { config } = ctx;
    if (!config.preload_route.enabled) return {};
    const dispatcher = ctx.use(dispatcherFeature).state;
    const trusted = ctx.use(permissionsFeature).trusted;
    const own = new OwnAddresses(ctx.transport.sockets, config.sip.aliases);
    let allowed = new Set<string>();
    const rebuild = () => {
      const next = new Set(config.preload_route.allow.map(bare));
      for (const s of dispatcher.list()) {
        for (const d of s.destinations) {
          const u = parseUri(d.uri);
          if (u !== undefined) next.add(`${bare(u.host)}:${u.port ?? 5060}`);
        }
      }
      allowed = next;
    };
    rebuild();
    dispatcher.on('reload', rebuild);
    return { steps: [{ place: 'screening', step: preloadRouteStep({ own, trusted, allowed: () => allowed }) }] };
  },
});
