// A script defined while an older auto-pipeline of the same slot is still
// queued (behind one that is running) must not be added to that pipeline: it
// was made before the definition and lacks the command (ioredis then threw
// "pipeline[functionName] is not a function" and crashed the process with
// "results[i] is not iterable").
import { afterEach, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { runScript } from './scripts.ts';

let client: Redis | undefined;
afterEach(() => { client?.disconnect(); client = undefined; });

it('a new script definition waits for the auto-pipelines opened before it', async () => {
  const url = new URL(inject('redisUrl'));
  client = new Redis(Number(url.port), url.hostname, { enableAutoPipelining: true });
  await client.ping();
  const key = `scripts-test:{race}:${Date.now()}`;
  // pipeline 1 runs for 300 ms (a blocking pop on an empty list); pipeline 2 queues behind it, made before the definition
  const first = client.blpop(`${key}:list`, 0.3);
  await new Promise((r) => setImmediate(r));
  const second = client.get(key);
  const scripted = runScript(client, 'sbcConfigPut', [`${key}:d`, `${key}:v`], ['kind', 'doc', 1]);
  await expect(Promise.all([first, second, scripted])).resolves.toEqual([null, null, [1, 1]]);
});
