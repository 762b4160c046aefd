// The one registry of rejections a node knows. Each feature defines its own
// table with defineRejections() in its folder; the service merges them here
// once at start. Duplicate codes are refused (two features must never claim
// the same name), and every problem is listed at once.
import type { Rejection } from './define.ts';

export type RejectionGroup = Readonly<Record<string, Rejection>> | readonly Rejection[];

export interface RejectionCatalog {
  /** the definition for a code, or undefined */
  get(code: string): Rejection | undefined;
  /** every definition, in the order the groups were given */
  all(): readonly Rejection[];
  /** every distinct metric label (for pre-creating counter series) */
  labels(): readonly string[];
}

export function createRejectionCatalog(...groups: RejectionGroup[]): RejectionCatalog {
  const byCode = new Map<string, Rejection>();
  const problems: string[] = [];
  for (const group of groups) {
    const list: readonly Rejection[] = Array.isArray(group) ? group : Object.values(group);
    for (const r of list) {
      const prev = byCode.get(r.code);
      if (prev !== undefined && prev !== r) problems.push(`code "${r.code}" is defined twice`);
      byCode.set(r.code, r);
    }
  }
  if (problems.length > 0) throw new Error(`rejection catalog: ${problems.join('; ')}`);
  const all = Object.freeze([...byCode.values()]);
  const labels = Object.freeze([...new Set(all.map((r) => r.label))]);
  return {
    get: (code) => byCode.get(code),
    all: () => all,
    labels: () => labels,
  };
}
