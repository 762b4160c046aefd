// The contract suite on the shared test Redis: every fixture is its own SBC
// cluster (unique hash tag); nodes are separate connections; time is real.
import { inject } from 'vitest';
import { uniqueName } from '../../test/harness/index.ts';
import { stateContract } from './contract.ts';
import { createRedisState } from './redis/index.ts';
import type { SharedState } from './types.ts';

stateContract('redis', async () => {
  const url = inject('redisUrl');
  const cluster = uniqueName('state');
  const nodes: SharedState[] = [];
  return {
    async node() {
      const s = await createRedisState({ url, cluster });
      nodes.push(s);
      return s;
    },
    advance: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    async close() { await Promise.all(nodes.map((n) => n.close())); },
  };
});
