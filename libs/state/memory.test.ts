// The contract suite on the memory backend: nodes share one MemoryData and a
// fake clock, so TTL tests take no real time.
import { stateContract } from './contract.ts';
import { createMemoryData, createMemoryState } from './memory/index.ts';
import type { SharedState } from './types.ts';

stateContract('memory', async () => {
  let t = 1_700_000_040_000;
  const data = createMemoryData();
  const nodes: SharedState[] = [];
  return {
    async node() {
      const s = createMemoryState({ data, now: () => t });
      nodes.push(s);
      return s;
    },
    async advance(ms) { t += ms; },
    now: () => t,
    async close() { await Promise.all(nodes.map((n) => n.close())); },
  };
});
