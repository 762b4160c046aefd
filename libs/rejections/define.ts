// A rejection is one documented reason the SBC refuses a message: the SIP
// answer (or a silent drop), the metric label and the log text. Every
// refusal in the code base goes through a definition made here, so the
// operator's docs, the dashboards and the logs all name the same thing.

export type RejectionLogLevel = 'debug' | 'info' | 'warn';

interface RejectionBase<C extends string> {
  /** stable dotted id, `<feature>.<what>` (e.g. "sanity.bad_cseq"); used in logs, docs and code */
  readonly code: C;
  /** value of the `reason` label of sbc_sip_rejected_total; lower-case [a-z0-9_]; may be shared by several codes */
  readonly label: string;
  /** the log message written (rate-limited) when the rejection happens */
  readonly log: string;
  /** operator documentation: what triggers it and what to change if it is wrong. Required. */
  readonly doc: string;
  /** log level of the line; 'info' unless the rejection means trouble on our side */
  readonly level: RejectionLogLevel;
}

/** Answered with a SIP final response. */
export interface ReplyRejection<C extends string = string> extends RejectionBase<C> {
  readonly status: number;
  readonly reason: string;
}

/** Dropped without an answer (unanswerable message, ACK, flood). */
export interface DropRejection<C extends string = string> extends RejectionBase<C> {
  readonly status: 'drop';
}

export type Rejection<C extends string = string> = ReplyRejection<C> | DropRejection<C>;

export type RejectionInput<C extends string> =
  | { code: C; status: number; reason: string; label: string; log: string; doc: string; level?: RejectionLogLevel }
  | { code: C; status: 'drop'; label: string; log: string; doc: string; level?: RejectionLogLevel };

const CODE_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
const LABEL_RE = /^[a-z][a-z0-9_]*$/;
// RFC 3261 reason-phrase: no CR/LF, keep it printable so it is safe on the wire.
const REASON_RE = /^[\x20-\x7e]{1,120}$/;

/**
 * Validate and freeze one rejection definition. Throws at module load on a
 * bad definition (fail fast: a broken table must not reach the hot path).
 */
export function defineRejection<C extends string>(input: RejectionInput<C>): Rejection<C> {
  const problems: string[] = [];
  if (!CODE_RE.test(input.code)) problems.push(`code "${input.code}" must look like "feature.what" (lower-case, dotted)`);
  if (!LABEL_RE.test(input.label)) problems.push(`label "${input.label}" must match ${LABEL_RE}`);
  if (input.log.trim() === '') problems.push('log message is empty');
  if (input.doc.trim() === '') problems.push('doc text is empty: say what triggers it and the fix');
  if (input.status !== 'drop') {
    if (!Number.isInteger(input.status) || input.status < 300 || input.status > 699) {
      problems.push(`status ${input.status} is not a final non-2xx SIP status (300-699)`);
    }
    if (!REASON_RE.test(input.reason)) problems.push(`reason phrase "${input.reason}" must be 1-120 printable ASCII chars`);
  }
  if (problems.length > 0) throw new Error(`defineRejection(${input.code}): ${problems.join('; ')}`);
  const level = input.level ?? 'info';
  const def: Rejection<C> =
    input.status === 'drop'
      ? { code: input.code, status: 'drop', label: input.label, log: input.log, doc: input.doc, level }
      : { code: input.code, status: input.status, reason: input.reason, label: input.label, log: input.log, doc: input.doc, level };
  return Object.freeze(def);
}

/** Define a table of rejections at once; keys are the names code uses (e.g. SANITY.badCseq). */
export function defineRejections<T extends Record<string, RejectionInput<string>>>(
  table: T,
): { readonly [K in keyof T]: Rejection<T[K]['code']> } {
  const out: Record<string, Rejection> = {};
  for (const [key, input] of Object.entries(table)) out[key] = defineRejection(input);
  return Object.freeze(out) as { readonly [K in keyof T]: Rejection<T[K]['code']> };
}
