// The contract suite on the shared test Redis: every fixture is its own SBC
// cluster (unique hash tag); nodes are separate connections; time is real.
import { inject } from 'vitest';
import { uniqueName } from '../../test/harness/index.ts';
import { realStoreFixture, stateContract } from './contract.ts';
import { createRedisState } from './redis/index.ts';

stateContract('redis', async () => {
  const url = inject('redisUrl');
  return realStoreFixture(uniqueName('state'), (cluster) => createRedisState({ url, cluster }));
});
