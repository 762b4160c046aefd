// "did you mean" hints for unknown keys and variables.

/** Levenshtein distance, capped: returns max+1 as soon as it is exceeded. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The closest candidate, when it is close enough to be a likely typo.
 * Comparison ignores case, '_' and '-' so "max_message_bytes" finds "maxMessageBytes".
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const n = norm(input);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = norm(c) === n ? 0 : editDistance(n, norm(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(n.length / 3)));
  return bestD <= allowed ? best : undefined;
}

export function hint(input: string, candidates: Iterable<string>): string {
  const s = didYouMean(input, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
