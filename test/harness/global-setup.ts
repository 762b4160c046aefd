// vitest globalSetup: one Redis and one NATS for the whole run, shared by every
// test file through inject('redisUrl') / inject('natsUrl'). Tests isolate
// themselves with unique key prefixes / cluster names (see uniqueName()).
import type { TestProject } from 'vitest/node';
import { buildNode } from '../../scripts/build.mjs';
import { findPostgres } from './postgres.ts';
import { findNats, findRedis, type ServerHandle } from './servers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    natsUrl: string;
    /** PostgreSQL server URL (accounting tests create their own database on it) */
    pgUrl: string;
  }
}

let redis: ServerHandle | undefined;
let nats: ServerHandle | undefined;
let postgres: ServerHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  // node processes started by tests run the bundle `npm start` runs: build it from the current sources
  [redis, nats, postgres] = await Promise.all([findRedis(), findNats(), findPostgres(), buildNode()]);
  project.provide('redisUrl', redis.url);
  project.provide('natsUrl', nats.url);
  project.provide('pgUrl', postgres.url);
  console.log(`[harness] redis ${redis.url} (${redis.source}), nats ${nats.url} (${nats.source}), postgres ${postgres.url} (${postgres.source})`);
}

export async function teardown(): Promise<void> {
  await Promise.all([redis?.stop(), nats?.stop(), postgres?.stop()]);
}
