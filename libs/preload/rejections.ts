import { defineRejections } from '#libs/rejections';

export const PRELOAD_REJECTIONS = defineRejections({
  denied: {
    code: 'preload_route.denied',
    status: 403,
    reason: 'Preload Route denied',
    label: 'preload_route_denied',
    log: 'initial request with a preloaded Route to another host refused',
    doc: 'An initial request (no To tag) carried Route headers that, past the ones naming this node, lead to a host that is neither a dispatcher gateway nor in preload_route.allow, from a source that is not trusted (permissions trusted / trusted_group). Relaying it would make the node an open relay. Trust the peer, or allow the next hop, if the Route is legitimate.',
    level: 'info',
  },
});
