// Cluster rule 3 (design.md §3.3) on real servers: three in-process nodes,
// each with its own Redis client, NATS connection and ipban replica, sharing
// one cluster name. A load balancer spreads each source round-robin. A flood
// at 1.5x the density is banned on all 3 nodes within one sampling unit of
// its first request; a source at 0.5x is never refused nor banned.
import { afterEach, describe, expect, inject, it } from 'vitest';
import { BAN_TABLE } from '#libs/bans';
import { createNatsBus } from '#libs/bus';
import { ReplicatedTable } from '#libs/replica';
import { createRedisState } from '#libs/state';
import { uniqueName } from '../../test/harness/index.ts';
import { createPike, PIKE_METRIC_NAMES, type Pike } from './index.ts';
import { fakeRequest, metric, pikeConfig, quietLogger, Registry } from './test-support.ts';

const UNIT = 1000;
const DENSITY = 30;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface TestNode { pike: Pike; bans: ReplicatedTable; registry: Registry }

async function startNode(cluster: string, id: string): Promise<TestNode> {
  const logger = quietLogger();
  const registry = new Registry();
  const state = await createRedisState({ cluster, url: inject('redisUrl'), logger });
  const bus = await createNatsBus({ servers: inject('natsUrl'), cluster, node: id, logger, registry });
  const bans = await ReplicatedTable.start({ name: BAN_TABLE, channel: 'ban', state, bus, logger, registry, resyncIntervalMs: 0 });
  const pike = createPike({
    config: pikeConfig({ sampling_time_unit: UNIT, reqs_density_per_unit: DENSITY, flush_interval: 100, ban_time: 60_000 }),
    state, bans, exempt: [], registry, logger,
  });
  closers.push(async () => { await pike.close(); await bans.close(); await bus.close(); await state.close(); });
  return { pike, bans, registry };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pike across 3 nodes (Redis + NATS)', () => {
  it('bans a 1.5x round-robin flood on every node within one unit; never a 0.5x source', async () => {
    const cluster = uniqueName('pike');
    const nodes = [await startNode(cluster, 'n1'), await startNode(cluster, 'n2'), await startNode(cluster, 'n3')];
    const flood = '198.51.100.66';
    const calm = '198.51.100.77';
    const rates = new Map([[flood, 1.5 * DENSITY], [calm, 0.5 * DENSITY]]); // per unit
    const sent = new Map([[flood, 0], [calm, 0]]);
    let calmRefused = 0;
    let floodDropped = 0;
    let bannedAfter: number | undefined;

    // Requests are issued on schedule from the elapsed time, so timer jitter
    // does not change the rates; 4 units in all (bounded).
    const start = performance.now();
    const phase = (Date.now() % UNIT) / UNIT;
    for (;;) {
      const elapsed = performance.now() - start;
      if (elapsed > 4 * UNIT) break;
      for (const [ip, rate] of rates) {
        const due = Math.floor((elapsed * rate) / UNIT) + 1;
        for (let i = sent.get(ip)!; i < due; i++) {
          const n = nodes[i % 3];
          if (n.bans.has(ip)) { if (ip === flood) floodDropped++; continue; } // the bans gate
          const v = n.pike.step.run(fakeRequest(ip, ip === flood ? 'REGISTER' : 'OPTIONS'));
          if (ip === calm && v !== 'next') calmRefused++;
        }
        sent.set(ip, due);
      }
      if (bannedAfter === undefined && nodes.every((n) => n.bans.has(flood))) bannedAfter = performance.now() - start;
      await sleep(2);
    }
    console.log(`[pike cluster] 1.5x flood banned on all 3 nodes ${bannedAfter?.toFixed(0)} ms after its first request (unit ${UNIT} ms, started at ${phase.toFixed(2)} of a window); ${floodDropped} later requests dropped by the bans gate`);
    expect(bannedAfter).toBeDefined();
    expect(bannedAfter!).toBeLessThan(UNIT);
    expect(floodDropped).toBeGreaterThan(0);
    expect(calmRefused).toBe(0);
    expect(nodes.some((n) => n.bans.has(calm))).toBe(false);
    const entry = nodes[2].bans.entry(flood)!;
    expect(entry.value).toBe('pike');
    expect(entry.expiresAt! - Date.now()).toBeGreaterThan(50_000);
    let bans = 0;
    for (const n of nodes) bans += await metric(n.registry, PIKE_METRIC_NAMES.bans);
    expect(bans).toBeGreaterThanOrEqual(1);

    // pike.top on any node shows the cluster-wide count of the last complete unit
    const top = (await nodes[1].pike.admin[0].run({ n: 5, window: 'previous' })) as { sources: { address: string; count: number }[] };
    const c = top.sources.find((s) => s.address === calm);
    expect(c?.count).toBeGreaterThanOrEqual(0.5 * DENSITY - 1);
    expect(c!.count).toBeLessThanOrEqual(0.5 * DENSITY + 1);
  });
});
