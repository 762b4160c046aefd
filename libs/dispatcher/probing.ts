// Which destinations an OPTIONS probe goes to, and what its answer does to
// their state: Kamailio's ds_probing_mode rules (ds_ping_result_helper and
// ds_options_callback). Pure functions.
import { afterOutcome, type Thresholds } from './state-machine.ts';
import type { DestinationStatus } from './types.ts';

/**
 * ds_probing_mode:
 * 0 probe destinations flagged P; the answer clears P (probed once after start or reload)
 * 1 probe every destination that is not disabled; P is set by every answer
 * 2 probe only inactive destinations flagged P; a success clears P
 * 3 probe destinations flagged P, keeping P whatever the answer
 */
export type ProbingMode = 0 | 1 | 2 | 3;

export function shouldProbe(mode: ProbingMode, s: DestinationStatus): boolean {
  if (s.state.kind === 'disabled') return false;
  if (mode === 1) return true;
  if (mode === 2) return s.probe && s.state.kind === 'inactive';
  return s.probe;
}

/** The status after a probe answer (ok = a reply code counted as up), or undefined to ignore the answer. */
export function afterProbe(mode: ProbingMode, s: DestinationStatus, ok: boolean, t: Thresholds): { state: DestinationStatus['state']; probe: boolean } | undefined {
  // disabled by an operator meanwhile, or P taken away meanwhile (mode 3): the answer is stale
  if (s.state.kind === 'disabled') return undefined;
  if (mode === 3 && !s.probe) return undefined;
  const probe = ok ? mode === 1 || (mode === 3 && s.probe) : mode !== 0;
  return { state: afterOutcome(s.state, ok, t), probe };
}
