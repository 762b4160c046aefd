// libs/secfilter: Kamailio `secfilter` (black/white lists of user agents,
// source IPs, domains, users and called numbers; SQL-injection check) and
// header hygiene for relayed messages. docs/secfilter.md is the operator's guide.
//   secfilterSection            config section `secfilter` (lists, match modes, actions, sqli)
//   createSecfilter(deps)       { step 'secfilter' (screening), admin commands, reload(cfg), filter }
//   SECFILTER_REJECTIONS        secfilter.blacklisted_{ua,ip,domain,user,dst}[_drop], secfilter.sqli[_drop]
//   SECFILTER_METRIC_NAMES      sbc_secfilter_blocked_total{check}, sbc_secfilter_whitelisted_total{check}
//   detectSqli(value, mode)     the SQL-injection detector alone ('strict' user parts, 'lenient' free text)
//   hygieneSection              config section `hygiene` (Server / User-Agent policy, headers to strip)
//   createHeaderHygiene(opts)   { scrub(msg) } for every relayed message; hygieneOptions(cfg) maps the section
//   hygieneStep(hygiene)        scrubs requests before relay (last routing step)
export { secfilterSection, DEFAULT_SCANNER_UAS, type SecfilterConfig, type SecfilterAction } from './config.ts';
export { createSecfilter, type SecfilterDeps, type SecfilterFeature } from './step.ts';
export { Secfilter, type FilterVerdict, type ListView } from './filter.ts';
export { SECFILTER_REJECTIONS, CHECKS, type Check } from './rejections.ts';
export { SECFILTER_METRIC_NAMES, type SecfilterStats } from './metrics.ts';
export { LIST_TYPES, type ListType, type ListName, type TextMatch } from './lists.ts';
export { detectSqli, type SqliMode, type SqliRule } from './sqli.ts';
export {
  createHeaderHygiene,
  hygieneStep,
  hygieneSection,
  hygieneOptions,
  DEFAULT_REMOVED_HEADERS,
  type HeaderHygiene,
  type HeaderHygieneOptions,
  type HeaderPolicy,
  type HygieneConfig,
} from './hygiene.ts';
export { secfilterFeature, hygieneFeature } from './feature.ts';
