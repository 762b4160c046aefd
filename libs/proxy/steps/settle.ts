// `settle`: waits for the round trips earlier steps started without waiting
// (ctx.pending), so that those started in the same turn leave Redis in one
// write: a dispatched INVITE's pin and its topos dialog record cost one round
// trip instead of two in a row.
import type { Step, StepVerdict } from '#libs/pipeline';
import type { RequestContext } from '../context.ts';

export function settleStep(): Step<RequestContext> {
  return {
    name: 'settle',
    run(ctx) {
      const pending = ctx.pending;
      if (pending === undefined || pending.length === 0) return 'next';
      ctx.pending = undefined;
      return Promise.all(pending).then(firstVerdict);
    },
  };
}

function firstVerdict(verdicts: StepVerdict[]): StepVerdict {
  for (const v of verdicts) if (v !== 'next') return v;
  return 'next';
}
