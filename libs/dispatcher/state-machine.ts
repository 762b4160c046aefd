// Destination state transitions, shared by the admin command, failover
// (ds_mark_dst) and the OPTIONS prober. Pure functions.
import { DS_FLAGS, type DestinationState, type DestinationStatus, type StateKind } from './types.ts';

export function isSelectable(s: DestinationState): boolean {
  return s.kind === 'active' || s.kind === 'probing';
}

export function stateOfKind(kind: StateKind): DestinationState {
  switch (kind) {
    case 'active':
      return { kind };
    case 'probing':
      return { kind, failures: 0 };
    case 'inactive':
      return { kind, successes: 0 };
    case 'disabled':
      return { kind };
  }
}

/** The state a dispatcher.list flags value starts in; disabled wins over inactive over trying. */
export function initialStatus(flags: number, now: number): DestinationStatus {
  const kind: StateKind =
    flags & DS_FLAGS.DISABLED ? 'disabled' : flags & DS_FLAGS.INACTIVE ? 'inactive' : flags & DS_FLAGS.TRYING ? 'probing' : 'active';
  return { state: stateOfKind(kind), probe: (flags & DS_FLAGS.PROBING) !== 0, since: now };
}

const LETTER: Record<StateKind, string> = { active: 'A', inactive: 'I', probing: 'T', disabled: 'D' };
const BY_LETTER: Record<string, StateKind> = { a: 'active', i: 'inactive', t: 'probing', d: 'disabled' };

/** Kamailio's two-letter state as dispatcher.list shows it: "AP", "IX", "TP", "DX". */
export function stateCode(s: DestinationStatus): string {
  return LETTER[s.state.kind] + (s.probe ? 'P' : 'X');
}

/**
 * Parses a dispatcher.set_state argument: Kamailio letters "a", "i", "t", "d",
 * optionally followed by "p" (probing on), or a word "active", "inactive",
 * "probing" (= trying), "disabled". probe is undefined when not given.
 */
export function parseStateCode(text: string): { kind: StateKind; probe?: boolean } | undefined {
  const s = text.trim().toLowerCase();
  if (s === 'active' || s === 'inactive' || s === 'probing' || s === 'disabled') return { kind: s };
  if (s === 'trying') return { kind: 'probing' };
  const m = /^([aitd])(p?)$/.exec(s);
  if (!m) return undefined;
  const kind = BY_LETTER[m[1]];
  return m[2] === 'p' ? { kind, probe: true } : { kind };
}

export interface Thresholds {
  /** failures before trying -> inactive (ds_probing_threshold) */
  readonly probingThreshold: number;
  /** successes before inactive -> active (ds_inactive_threshold) */
  readonly inactiveThreshold: number;
}

/** The state after a probe or request to the destination succeeded (ok) or failed (Kamailio ds_update_state). */
export function afterOutcome(s: DestinationState, ok: boolean, t: Thresholds): DestinationState {
  if (s.kind === 'disabled') return s;
  if (ok) {
    if (s.kind === 'inactive') return s.successes + 1 >= t.inactiveThreshold ? { kind: 'active' } : { kind: 'inactive', successes: s.successes + 1 };
    return { kind: 'active' };
  }
  if (s.kind === 'inactive') return { kind: 'inactive', successes: 0 };
  const failures = s.kind === 'probing' ? s.failures + 1 : 1;
  return failures >= t.probingThreshold ? { kind: 'inactive', successes: 0 } : { kind: 'probing', failures };
}
