// Max-Forwards rules (RFC 3261 §16.3 step 3, §16.6 step 3; Kamailio maxfwd).
import type { SanityConfig } from './config.ts';

export type MaxForwardsCheck = 'ok' | 'malformed' | 'exhausted';

/**
 * Classify a received Max-Forwards value (as SipMessage.maxForwards() gives
 * it: undefined when absent, NaN when not a number).
 */
export function checkMaxForwards(value: number | undefined): MaxForwardsCheck {
  if (value === undefined) return 'ok'; // absent: the check passes (§16.3)
  if (!Number.isInteger(value) || value < 0 || value > 255) return 'malformed';
  return value === 0 ? 'exhausted' : 'ok';
}

/**
 * The Max-Forwards to put on the forwarded copy: one less than received,
 * capped by maxForwardsLimit, or maxForwardsDefault when it had none
 * (Kamailio mf_process_maxfwd_header with max_limit). Call only after
 * checkRequest passed (so the value is 1-255 or absent).
 */
export function forwardedMaxForwards(value: number | undefined, cfg: Pick<SanityConfig, 'maxForwardsDefault' | 'maxForwardsLimit'>): number {
  if (value === undefined || !Number.isInteger(value)) return Math.min(cfg.maxForwardsDefault, cfg.maxForwardsLimit);
  return Math.max(0, Math.min(value - 1, cfg.maxForwardsLimit));
}
