// libs/sanity: Kamailio `sanity` + `maxfwd` as one pure pipeline step.
//
//   checkRequest(parsed, ctx)   -> pass | reply {status, reason, code, request, headers?} | drop {code}
//   resolveSanityConfig(input)  validated, frozen config (proxyRequireSupported, maxForwardsDefault/Limit)
//   checkMaxForwards(value)     'ok' | 'malformed' | 'exhausted'
//   forwardedMaxForwards(v,cfg) the Max-Forwards to put on the forwarded copy
// Rejection codes (status, reason, metric label, docs) live in libs/rejections SANITY_REJECTIONS.
export { checkRequest } from './check.ts';
export type { SanityContext, SanityVerdict } from './check.ts';
export { resolveSanityConfig, DEFAULT_SANITY_CONFIG } from './config.ts';
export type { SanityConfig } from './config.ts';
export { checkMaxForwards, forwardedMaxForwards } from './maxfwd.ts';
export type { MaxForwardsCheck } from './maxfwd.ts';
