/**
 * What a step decides about the request:
 * - 'next': go on with the next step.
 * - 'done': the step has taken the request over (relayed it, answered it); stop.
 * - { reject }: stop and reject with a rejection code from libs/rejections
 *   (the runner's owner turns it into a reply or a silent drop).
 */
export type StepVerdict = 'next' | 'done' | { reject: string; detail?: string };

export interface Step<C> {
  /** unique, dotted or plain lower-case name shown in logs and metrics ("sanity", "pike", "relay") */
  readonly name: string;
  /** sync when it can be: the runner does not allocate a promise for sync steps */
  run(ctx: C): StepVerdict | Promise<StepVerdict>;
}

export type PipelineOutcome =
  | { kind: 'done'; step: string }
  | { kind: 'reject'; step: string; code: string; detail?: string }
  | { kind: 'error'; step: string; error: unknown }
  /** every step said 'next': nothing took the request (a configuration mistake) */
  | { kind: 'fell-through' };

export class PipelineError extends Error {}

const NAME_RE = /^[a-z][a-z0-9_.-]*$/;

export class Pipeline<C> {
  private readonly steps: readonly Step<C>[];

  constructor(steps: readonly Step<C>[]) {
    const seen = new Set<string>();
    for (const s of steps) {
      if (!NAME_RE.test(s.name)) throw new PipelineError(`pipeline step name "${s.name}" must match ${NAME_RE}`);
      if (seen.has(s.name)) throw new PipelineError(`pipeline step "${s.name}" appears twice`);
      seen.add(s.name);
    }
    this.steps = Object.freeze([...steps]);
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
      const step = steps[i];
      let verdict: StepVerdict | Promise<StepVerdict>;
      try {
        verdict = step.run(ctx);
      } catch (error) {
        return { kind: 'error', step: step.name, error };
      }
      if (isPromise(verdict)) {
        return verdict.then(
          (v) => this.afterVerdict(v, i, ctx),
          (error: unknown): PipelineOutcome => ({ kind: 'error', step: step.name, error }),
        );
      }
      if (verdict !== 'next') return outcomeOf(verdict, step.name);
    }
    return { kind: 'fell-through' };
  }

  private afterVerdict(v: StepVerdict, i: number, ctx: C): PipelineOutcome | Promise<PipelineOutcome> {
    if (v !== 'next') return outcomeOf(v, this.steps[i].name);
    return this.runFrom(i + 1, ctx);
  }
}

function outcomeOf(v: Exclude<StepVerdict, 'next'>, step: string): PipelineOutcome {
  if (v === 'done') return { kind: 'done', step };
  return { kind: 'reject', step, code: v.reject, detail: v.detail };
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === 'function';
}
