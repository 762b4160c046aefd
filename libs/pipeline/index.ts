// A table-driven pipeline of named steps, like a Kamailio route block:
// sanity -> ... -> route -> relay. One runner owns ordering, async handling
// and error containment, so steps stay small and never repeat try/catch.
export type { Step, StepVerdict, Rejection as StepRejection, Answer as StepAnswer, PipelineOutcome } from './pipeline.ts';
export { Pipeline, PipelineError } from './pipeline.ts';
