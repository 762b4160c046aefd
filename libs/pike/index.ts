// libs/pike: anti-flood (Kamailio pike + htable ipban), counted cluster-wide.
// Every node counts requests per source locally and flushes the counts to the
// shared state in batches; the flush answers with the cluster totals, so the
// per-request verdict stays a local, synchronous estimate. A source over
// reqs_density_per_unit in the last sampling_time_unit is banned in the
// cluster-wide ipban table (libs/bans gate drops it on every node).
//   pikeSection        config section `pike` (sampling_time_unit, reqs_density_per_unit, remove_latency, ...)
//   createPike(deps)   { step 'pike', admin [pike.top], setExempt, close }
//   PIKE_REJECTIONS    pike.flood (drop), pike.flood_reply (503 + Retry-After)
//   PIKE_METRIC_NAMES  sbc_pike_blocked_total, sbc_pike_bans_total, sbc_pike_sources
// See docs/pike.md.
export { pikeSection, banTimeOf, type PikeConfig } from './config.ts';
export { createPike, PIKE_COUNTER, PIKE_BAN_VALUE, type Pike, type PikeDeps } from './pike.ts';
export { PIKE_REJECTIONS, type PikeRejectionCode } from './rejections.ts';
export { PIKE_METRIC_NAMES } from './metrics.ts';
export { addressProblem, exemptMatcher } from './addresses.ts';
export { pikeFeature } from './feature.ts';
