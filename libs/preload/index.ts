// libs/preload: refusal of preloaded Routes from untrusted sources (Kamailio
// default script: "403 Preload Route denied"). An initial request whose Route
// set, past the entries naming this node, leads to a host that is neither a
// dispatcher gateway nor in preload_route.allow is refused unless its source
// is trusted (permissions). See docs/transport.md "Preloaded Route".
//   preloadRouteFeature   the descriptor (section `preload_route`, screening step `preload-route`)
//   PRELOAD_REJECTIONS    preload_route.denied (403 Preload Route denied; metric label preload_route_denied)
export { preloadRouteFeature } from './feature.ts';
export { preloadRouteSection, type PreloadRouteConfig } from './config.ts';
export { preloadRouteStep, type PreloadRouteDeps } from './step.ts';
export { PRELOAD_REJECTIONS } from './rejections.ts';
