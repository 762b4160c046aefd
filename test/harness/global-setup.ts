// vitest globalSetup: one Redis and one NATS for the whole run, shared by every
// test file through inject('redisUrl') / inject('natsUrl'). Tests isolate
// themselves with unique key prefixes / cluster names (see uniqueName()).
import type { TestProject } from 'vitest/node';
import { buildNode } from '../../scripts/build.mjs';
import { findNats, findRedis, type ServerHandle } from './servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    natsUrl: string;
  }
}

let redis: ServerHandle | undefined;
let nats: ServerHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  // node processes started by tests run the bundle `npm start` runs: build it from the current sources
  [redis, nats] = await Promise.all([findRedis(), findNats(), buildNode()]);
  project.provide('redisUrl', redis.url);
  project.provide('natsUrl', nats.url);
  console.log(`[harness] redis ${redis.url} (${redis.source}), nats ${nats.url} (${nats.source})`);
}

export async function teardown(): Promise<void> {
  await Promise.all([redis?.stop(), nats?.stop()]);
}
