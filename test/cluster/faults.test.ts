// Issue 3 "done when": redis-server and nats-server are killed and restarted
// under running nodes. The nodes keep answering SIP throughout, report the
// backend state in sbc_backend_up, and converge afterwards (from Redis when
// NATS news was missed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SbcNodeHandle } from '../sipp/index.ts';
import { spawnNats, spawnRedis, uniqueName, waitUntil } from '../harness/index.ts';
import { admin, metric, optionsFrom, startClusterNode } from './cluster-kit.ts';

type Server = Awaited<ReturnType<typeof spawnRedis>>;
let redis: Server;
let nats: Server;
const nodes: SbcNodeHandle[] = [];
const cluster = uniqueName('faults').replace(/[^A-Za-z0-9_-]/g, '_');

beforeAll(async () => {
  [redis, nats] = await Promise.all([spawnRedis(), spawnNats()]);
  nodes.push(...(await Promise.all(['a', 'b'].map((id) => startClusterNode({ id, cluster, redisUrl: redis.url, natsUrl: nats.url })))));
  // node c refuses traffic while Redis is down (state.fail_mode.bans = closed)
  nodes.push(await startClusterNode({ id: 'c', cluster, redisUrl: redis.url, natsUrl: nats.url, config: { state: { backend: 'redis', redis: { url: redis.url }, fail_mode: { bans: 'closed' } } } }));
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await Promise.all([redis?.stop(), nats?.stop()]);
});

/** OPTIONS every 50 ms for `ms`, from a clean source: every one must be answered 200. */
async function keepsAnswering(node: SbcNodeHandle, ms: number): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    out.push(await optionsFrom(node, '127.0.0.1', 500));
    await new Promise((r) => setTimeout(r, 50));
  }
  return out;
}

const up = (n: SbcNodeHandle, backend: string) => metric(n, 'sbc_backend_up', `backend="${backend}"`);
const banned = async (n: SbcNodeHandle, ip: string) => ((await admin(n, 'htable.dump', { table: 'ipban' })) as { key: string }[]).some((e) => e.key === ip);

describe('backend faults under running nodes', () => {
  it('reports both backends up at start', async () => {
    for (const n of nodes) {
      expect(await up(n, 'redis')).toBe(1);
      expect(await up(n, 'nats')).toBe(1);
    }
  });

  it('keeps answering SIP while Redis is down, and reports it', async () => {
    const [a] = nodes;
    await redis.kill!();
    const answers = await keepsAnswering(a, 1500);
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.every((s) => s === 200)).toBe(true);
    await waitUntil(async () => (await up(a, 'redis')) === 0, 10_000, 50);
    // fail-closed node: refuses with 503 while its ban list cannot be trusted
    const c = nodes[2];
    await waitUntil(async () => (await up(c, 'redis')) === 0, 10_000, 50);
    expect(await optionsFrom(c, '127.0.0.1')).toBe(503);
    // a ban cannot be recorded without the source of truth: a clear error, not a hang
    await expect(admin(a, 'htable.sets', { table: 'ipban', key: '127.0.0.91', ttl: 60 })).rejects.toThrow(/500|503|unavailable/i);
  });

  it('reconnects to a restarted Redis by itself and works again', async () => {
    const [a, b] = nodes;
    await redis.start!();
    await waitUntil(async () => (await up(a, 'redis')) === 1 && (await up(b, 'redis')) === 1 && (await up(nodes[2], 'redis')) === 1, 15_000, 100);
    expect(await optionsFrom(nodes[2], '127.0.0.1')).toBe(200);
    await admin(a, 'htable.sets', { table: 'ipban', key: '127.0.0.92', ttl: 60 });
    await waitUntil(() => banned(b, '127.0.0.92'), 2000, 5);
    expect(await optionsFrom(b, '127.0.0.92')).toBeUndefined();
  });

  it('keeps answering SIP while NATS is down, and converges from Redis without the news', async () => {
    const [a, b] = nodes;
    await nats.kill!();
    const answers = await keepsAnswering(b, 1000);
    expect(answers.every((s) => s === 200)).toBe(true);
    await waitUntil(async () => (await up(a, 'nats')) === 0, 10_000, 50);
    // the ban reaches Redis; node b missed the news and picks it up on its periodic resync
    await admin(a, 'htable.sets', { table: 'ipban', key: '127.0.0.93', ttl: 60 });
    await waitUntil(() => banned(b, '127.0.0.93'), 5000, 50);
    expect(await optionsFrom(b, '127.0.0.93')).toBeUndefined();
    expect(await optionsFrom(b, '127.0.0.94')).toBe(200);
  });

  it('reconnects to a restarted NATS and gets the news again', async () => {
    const [a, b] = nodes;
    await nats.start!();
    await waitUntil(async () => (await up(a, 'nats')) === 1 && (await up(b, 'nats')) === 1, 15_000, 100);
    await admin(b, 'htable.delete', { table: 'ipban', key: '127.0.0.93' });
    await waitUntil(async () => !(await banned(a, '127.0.0.93')), 2000, 5);
    expect(await optionsFrom(a, '127.0.0.93')).toBe(200);
  });
});
