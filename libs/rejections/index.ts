// libs/rejections: the registry of every reason the SBC refuses a message.
//
//   defineRejection / defineRejections  feature code declares its rejections (validated, frozen)
//   createRejectionCatalog              the service merges every feature's table into ONE registry
//   RejectionRecorder.recordRejection   counts sbc_sip_rejected_total{reason} + one rate-limited log line
//   SANITY_REJECTIONS                   the core table (sanity / maxfwd), used by libs/sanity
//   LogLimiter                          the token bucket behind the log rate limit (reusable)
//   RateLimitedLog                      every per-request/per-packet log line on a failure path goes through one
export { defineRejection, defineRejections } from './define.ts';
export type { Rejection, ReplyRejection, DropRejection, RejectionInput, RejectionLogLevel } from './define.ts';
export { createRejectionCatalog } from './catalog.ts';
export type { RejectionCatalog, RejectionGroup } from './catalog.ts';
export { RejectionRecorder, REJECTED_METRIC } from './recorder.ts';
export type { RejectionContext, RejectionRecorderOptions } from './recorder.ts';
export { LogLimiter, DEFAULT_LOG_RATE_LIMIT } from './rate-limit.ts';
export type { LogRateLimit } from './rate-limit.ts';
export { RateLimitedLog, type LimitedLogLevel } from './limited-log.ts';
export { SANITY_REJECTIONS } from './sanity.ts';
