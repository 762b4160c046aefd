// Parser caps. Every one bounds work or memory on hostile input; the defaults
// fit every legitimate message we have seen (the biggest real ones are
// INVITEs with multipart SDP+ISUP or long Record-Route sets, ~6-10 KB).
import type { ParseLimits } from './types.ts';

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = Object.freeze({
  /** whole message (start line + headers + body). 65535 = the largest UDP payload; TCP messages above it are refused too (513). */
  maxMessageBytes: 65_535,
  /** header lines (a folded header counts once). Real messages carry 10-40. */
  maxHeaderCount: 200,
  /** one physical line, including the start line. Long Route sets and Identity headers stay well below. */
  maxLineBytes: 8_192,
  /** Via values across all Via lines (RFC 3261 loops are caught by Max-Forwards; this caps memory). */
  maxViaDepth: 32,
});

/** Merge overrides onto the defaults; a value that is not a positive number keeps the default (a cap must never vanish). */
export function resolveLimits(limits?: Partial<ParseLimits>): ParseLimits {
  if (limits === undefined) return DEFAULT_PARSE_LIMITS;
  const pick = (v: number | undefined, d: number): number => (typeof v === 'number' && v > 0 && Number.isFinite(v) ? v : d);
  return {
    maxMessageBytes: pick(limits.maxMessageBytes, DEFAULT_PARSE_LIMITS.maxMessageBytes),
    maxHeaderCount: pick(limits.maxHeaderCount, DEFAULT_PARSE_LIMITS.maxHeaderCount),
    maxLineBytes: pick(limits.maxLineBytes, DEFAULT_PARSE_LIMITS.maxLineBytes),
    maxViaDepth: pick(limits.maxViaDepth, DEFAULT_PARSE_LIMITS.maxViaDepth),
  };
}
