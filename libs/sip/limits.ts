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

export function resolveLimits(limits?: Partial<ParseLimits>): ParseLimits {
  if (limits === undefined) return DEFAULT_PARSE_LIMITS;
  return { ...DEFAULT_PARSE_LIMITS, ...limits };
}
