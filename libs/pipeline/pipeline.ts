/**
 * A refusal: a rejection code from libs/rejections, and what the reply
 * carries besides what the code's definition says. The runner's owner (the
 * proxy) counts and logs it through the rejection recorder and sends the
 * reply (or drops, for a code defined as a drop): one path for every local
 * refusal, so none is answered without being counted. The step's place says
 * how the reply leaves: steps before the `transaction` step answer
 * statelessly (Kamailio sl_send_reply: a refused flood creates no state),
 * steps after it through the server transaction (t_reply: retransmissions
 * of the request are absorbed).
 */
export interface Rejection {
  /** the rejection code, e.g. "pike.flood_reply" (defined with defineRejection, status and reason in the definition) */
  reject: string;
  /** what exactly failed, for the log line (never sent on the wire) */
  detail?: string;
  /** extra header fields on the reply (Retry-After, WWW-Authenticate, Unsupported...) */
  headers?: readonly (readonly [string, string])[];
  /** status and reason overriding the definition's (e.g. 401 vs 407 for one auth code); the metric label stays the code's */
  status?: number;
  reason?: string;
}

/**
 * A local final answer that is not a refusal: the registrar's 200 OK listing
 * the bindings (Kamailio save() replies itself). The proxy sends it through
 * the same path as refusals (through the server transaction after the
 * `transaction` step), counted as a reply, not as a rejection.
 */
export interface Answer {
  /** the status, 200-299 */
  answer: number;
  reason: string;
  headers?: readonly (readonly [string, string])[];
}

/**
 * What a step decides about the request:
 * - 'next': go on with the next step.
 * - 'done': the step has taken the request over (relayed it); stop.
 * - a Rejection: stop and refuse (a reply with optional headers, or a drop).
 * - an Answer: stop and answer with a 2xx built from it.
 */
export type StepVerdict = 'next' | 'done' | Rejection | Answer;

export interface Step<C> {
  /** unique, dotted or plain lower-case name shown in logs and metrics ("sanity", "pike", "relay") */
  readonly name: string;
  /** sync when it can be: the runner does not allocate a promise for sync steps */
  run(ctx: C): StepVerdict | Promise<StepVerdict>;
}

export type PipelineOutcome =
  | { kind: 'done'; step: string }
  | { kind: 'reject'; step: string; code: string; detail?: string; verdict: Rejection }
  | { kind: 'answer'; step: string; verdict: Answer }
  | { kind: 'error'; step: string; error: unknown }
  /** every step said 'next': nothing took the request (a configuration mistake) */
  | { kind: 'fell-through' };

export class PipelineError extends Error {}

const NAME_RE = /^[a-z][a-z0-9_.-]*$/;

/** every step said 'next': one shared, frozen outcome (nothing per request to allocate) */
const FELL_THROUGH: PipelineOutcome = Object.freeze({ kind: 'fell-through' });

export class Pipeline<C> {
  private readonly steps: readonly Step<C>[];
  /** the 'done' outcome of each step, made once: every request ends in one, so none is allocated per request */
  private readonly doneOutcomes: readonly PipelineOutcome[];

  constructor(steps: readonly Step<C>[]) {
    const seen = new Set<string>();
    for (const s of steps) {
      if (!NAME_RE.test(s.name)) throw new PipelineError(`pipeline step name "${s.name}" must match ${NAME_RE}`);
      if (seen.has(s.name)) throw new PipelineError(`pipeline step "${s.name}" appears twice`);
      seen.add(s.name);
    }
    this.steps = Object.freeze([...steps]);
    this.doneOutcomes = Object.freeze(steps.map((s): PipelineOutcome => Object.freeze({ kind: 'done', step: s.name })));
  }

  get names(): string[] {
    return this.steps.map((s) => s.name);
  }

  /**
   * Runs the steps in order. Returns synchronously when every step ran
   * synchronously (the common hot path), else a promise. Never throws: a
   * throwing step becomes an { kind: 'error' } outcome.
   */
  run(ctx: C): PipelineOutcome | Promise<PipelineOutcome> {
    return this.runFrom(0, ctx);
  }

  private runFrom(start: number, ctx: C): PipelineOutcome | Promise<PipelineOutcome> {
    const steps = this.steps;
    for (let i = start; i < steps.length; i++) {
      let verdict: StepVerdict | Promise<StepVerdict>;
      try {
        verdict = steps[i].run(ctx);
      } catch (error) {
        return { kind: 'error', step: steps[i].name, error };
      }
      // the two string verdicts first: most steps answer 'next', the last one 'done'
      if (verdict === 'next') continue;
      if (verdict === 'done') return this.doneOutcomes[i];
      if (isPromise(verdict)) return this.awaitVerdict(verdict, i, ctx);
      return endOutcome(verdict, steps[i].name);
    }
    return FELL_THROUGH;
  }

  private awaitVerdict(verdict: Promise<StepVerdict>, i: number, ctx: C): Promise<PipelineOutcome> {
    return verdict.then(
      (v) => this.afterVerdict(v, i, ctx),
      (error: unknown): PipelineOutcome => ({ kind: 'error', step: this.steps[i].name, error }),
    );
  }

  private afterVerdict(v: StepVerdict, i: number, ctx: C): PipelineOutcome | Promise<PipelineOutcome> {
    if (v === 'next') return this.runFrom(i + 1, ctx);
    if (v === 'done') return this.doneOutcomes[i];
    return endOutcome(v, this.steps[i].name);
  }
}

function endOutcome(v: Rejection | Answer, step: string): PipelineOutcome {
  if ('answer' in v) return { kind: 'answer', step, verdict: v };
  return { kind: 'reject', step, code: v.reject, detail: v.detail, verdict: v };
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === 'function';
}
