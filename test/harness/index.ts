// Helpers shared by integration tests.
import { randomBytes } from 'node:crypto';
export { freePort, waitForPort, spawnRedis, spawnNats } from './servers.ts';
export { findPostgres, spawnPostgres, createTestDatabase, endPool } from './postgres.ts';

/** A name no other test (or parallel run) uses: for key prefixes and cluster names. */
export function uniqueName(label: string): string {
  return `t-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Poll until check() returns true or the timeout passes; returns elapsed ms. Bounded by design. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 5): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
