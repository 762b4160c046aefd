import { AdminError, type AdminCommand } from '#libs/admin';
import type { CounterStore } from '#libs/state';

const MAX_TOP = 1000;

export interface PikeTopDeps {
  /** undefined while pike is disabled */
  counter: Pick<CounterStore, 'top'> | undefined;
  density: number;
  unitMs: number;
  isBanned(address: string): boolean;
}

/** Kamailio `pike.top`: the hottest sources, cluster-wide, from the shared counters. */
export function pikeAdminCommands(deps: PikeTopDeps): AdminCommand[] {
  return [
    {
      name: 'pike.top',
      mutates: false,
      help: 'Hottest source addresses of the current (or previous, complete) sampling unit, counted over every node: {"n":10,"window":"previous"}.',
      params: { n: `how many sources (default 10, at most ${MAX_TOP})`, window: '"current" (default) or "previous"' },
      async run(p) {
        if (deps.counter === undefined) throw new AdminError('pike is disabled (pike.enabled = false)', 409);
        const n = p.n === undefined ? 10 : Number(p.n);
        if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) throw new AdminError(`n must be an integer 1..${MAX_TOP}`);
        const window = p.window ?? 'current';
        if (window !== 'current' && window !== 'previous') throw new AdminError('window must be "current" or "previous"');
        const top = await deps.counter.top(n, window);
        return {
          window,
          sampling_time_unit_ms: deps.unitMs,
          reqs_density_per_unit: deps.density,
          sources: top.map((e) => ({ address: e.key, count: e.count, over: e.count > deps.density, banned: deps.isBanned(e.key) })),
        };
      },
    },
  ];
}
