// The `preload_route` config section: refusing initial requests whose Route
// set leads past this node to a host the sender chose (Kamailio's default
// script: "403 Preload Route denied" unless the source is trusted).
import { defineSection, t, type InferSchema } from '#libs/config';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/;

export const preloadRouteSection = defineSection(
  'preload_route',
  {
    enabled: t.bool({
      doc: 'Refuse an initial request (no To tag) whose Route set, after the entries naming this node, goes on to another host, unless the source is trusted (permissions trusted table or trusted_group) or that host is a dispatcher gateway or listed in allow. Without this the node relays for strangers (open relay, reflection).',
      default: true,
    }),
    allow: t.list(
      t.string({ doc: 'A next hop a preloaded Route may name: host or host:port (no port = any port).', nonEmpty: true, check: (v) => (HOST_PORT.test(v.trim()) ? undefined : 'expected host or host:port') }),
      { doc: 'Next hops (besides the dispatcher gateways) that any source may preload a Route to, e.g. an edge proxy of your own.', default: [] },
    ),
  },
  { doc: 'Preloaded Route refusal (Kamailio "403 Preload Route denied"): no relaying to hosts a stranger names in Route headers.' },
);

/** The validated section, as loadConfig returns it. */
export type PreloadRouteConfig = InferSchema<(typeof preloadRouteSection)['fields']>;
