// Choosing the response a forking proxy sends upstream once every branch has
// a final (RFC 3261 §16.7 step 6 and 7). Pure: inputs are never modified.
import type { SipMessage } from '#libs/sip';

export type BestResponse =
  /** forward this response (after the proxy pops its Via); append `challenges` first (§16.7 step 7) */
  | { kind: 'forward'; response: SipMessage; index: number; challenges: ChallengeHeader[] }
  /** no response fit to forward: generate one with this status (500 for only-503, 408 for none) */
  | { kind: 'generate'; status: number; reason: string; basedOn?: SipMessage };

export interface ChallengeHeader {
  name: 'WWW-Authenticate' | 'Proxy-Authenticate';
  value: string;
}

/** 4xx that tell the caller how to retry (§16.7 step 6): authentication first, then the others. */
const RETRY_INFO_4XX: ReadonlyMap<number, number> = new Map([
  [401, 0],
  [407, 0],
  [415, 1],
  [420, 1],
  [484, 1],
]);

/** lower is better, within a class */
function rankInClass(status: number): number {
  if (status >= 400 && status < 500) return RETRY_INFO_4XX.get(status) ?? 2;
  // §16.7: a 503 is not forwarded when anything else is available
  if (status === 503) return 3;
  return 0;
}

function classRank(status: number): number {
  const cls = Math.floor(status / 100);
  if (cls === 6) return 0; // 6xx always wins (global failure)
  if (cls === 2) return -1; // a 2xx in the set means the call was answered: it beats everything
  return cls; // 3 < 4 < 5: lowest class preferred
}

/**
 * Picks the best final among the branches' responses (provisionals are
 * ignored). 2xx, else 6xx, else the lowest class; inside 4xx prefer
 * 401/407, then 415/420/484; 503 only as a last resort, and an only-503
 * outcome becomes "generate 500" (§16.7 step 6). Ties go to the earliest.
 * A chosen 401/407 carries the challenges of every other 401/407 to merge.
 */
export function chooseBestResponse(responses: readonly SipMessage[]): BestResponse {
  let best = -1;
  for (let i = 0; i < responses.length; i++) {
    const s = responses[i].status;
    if (s < 200 || s > 699) continue;
    if (best < 0) {
      best = i;
      continue;
    }
    const b = responses[best].status;
    const c = classRank(s) - classRank(b);
    if (c < 0 || (c === 0 && rankInClass(s) < rankInClass(b))) best = i;
  }
  if (best < 0) return { kind: 'generate', status: 408, reason: 'Request Timeout' };
  const chosen = responses[best];
  if (chosen.status === 503) return { kind: 'generate', status: 500, reason: 'Server Internal Error', basedOn: chosen };

  const challenges: ChallengeHeader[] = [];
  if (chosen.status === 401 || chosen.status === 407) {
    for (let i = 0; i < responses.length; i++) {
      const r = responses[i];
      if (i === best || (r.status !== 401 && r.status !== 407)) continue;
      for (const v of r.headerValues('www-authenticate')) challenges.push({ name: 'WWW-Authenticate', value: v });
      for (const v of r.headerValues('proxy-authenticate')) challenges.push({ name: 'Proxy-Authenticate', value: v });
    }
  }
  return { kind: 'forward', response: chosen, index: best, challenges };
}

/** A copy of the chosen response with the merged challenges appended (the input stays untouched). */
export function withMergedChallenges(best: Extract<BestResponse, { kind: 'forward' }>): SipMessage {
  if (best.challenges.length === 0) return best.response;
  const copy = best.response.clone();
  for (const c of best.challenges) copy.appendHeader(c.name, c.value);
  return copy;
}
