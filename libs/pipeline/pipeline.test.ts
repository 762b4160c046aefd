import { describe, expect, it } from 'vitest';
import { Pipeline, PipelineError, type Step, type StepVerdict } from './index.ts';

interface Ctx { trail: string[] }
const step = (name: string, verdict: StepVerdict | (() => StepVerdict | Promise<StepVerdict>)): Step<Ctx> => ({
  name,
  run(ctx) { ctx.trail.push(name); return typeof verdict === 'function' ? verdict() : verdict; },
});

describe('Pipeline', () => {
  it('runs steps in order until one finishes, synchronously when all steps are sync', () => {
    const p = new Pipeline<Ctx>([step('a', 'next'), step('b', 'done'), step('c', 'next')]);
    const ctx = { trail: [] };
    const out = p.run(ctx);
    expect(out).toEqual({ kind: 'done', step: 'b' });
    expect(ctx.trail).toEqual(['a', 'b']);
  });

  it('awaits async steps and continues after them', async () => {
    const p = new Pipeline<Ctx>([step('a', () => Promise.resolve('next')), step('b', 'next'), step('c', () => Promise.resolve({ reject: 'acl.denied', detail: 'x' }))]);
    const ctx = { trail: [] };
    const out = p.run(ctx);
    expect(out).toBeInstanceOf(Promise);
    expect(await out).toEqual({ kind: 'reject', step: 'c', code: 'acl.denied', detail: 'x', verdict: { reject: 'acl.denied', detail: 'x' } });
    expect(ctx.trail).toEqual(['a', 'b', 'c']);
  });

  it('contains sync throws and async rejections as error outcomes naming the step', async () => {
    const boom = new Error('boom');
    const p1 = new Pipeline<Ctx>([step('a', () => { throw boom; })]);
    expect(p1.run({ trail: [] })).toEqual({ kind: 'error', step: 'a', error: boom });
    const p2 = new Pipeline<Ctx>([step('a', 'next'), step('b', () => Promise.reject(boom))]);
    expect(await p2.run({ trail: [] })).toEqual({ kind: 'error', step: 'b', error: boom });
  });

  it('ends with an answer outcome when a step answers (a 2xx, not a refusal), sync or async', async () => {
    const ok = { answer: 200, reason: 'OK', headers: [['Contact', '<sip:a@b>;expires=60']] as const };
    expect(new Pipeline<Ctx>([step('a', ok), step('b', 'next')]).run({ trail: [] })).toEqual({ kind: 'answer', step: 'a', verdict: ok });
    expect(await new Pipeline<Ctx>([step('a', () => Promise.resolve(ok))]).run({ trail: [] })).toEqual({ kind: 'answer', step: 'a', verdict: ok });
  });

  it('reports a fall-through when no step takes the request', () => {
    expect(new Pipeline<Ctx>([step('a', 'next')]).run({ trail: [] })).toEqual({ kind: 'fell-through' });
  });

  it('rejects duplicate and badly formed step names at construction', () => {
    expect(() => new Pipeline<Ctx>([step('a', 'next'), step('a', 'next')])).toThrow(PipelineError);
    expect(() => new Pipeline<Ctx>([step('Bad Name', 'next')])).toThrow(/must match/);
    expect(new Pipeline<Ctx>([step('sanity', 'next'), step('relay', 'done')]).names).toEqual(['sanity', 'relay']);
  });
});
