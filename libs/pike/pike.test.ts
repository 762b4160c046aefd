// Unit tests of the pike step on the memory backend, with fake timers: the
// clock, the counters' flush timer and the ban table all run on fake time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BAN_TABLE } from '#libs/bans';
import { createMemoryBus, MemoryHub } from '#libs/bus';
import type { RequestContext } from '#libs/proxy';
import { ReplicatedTable } from '#libs/replica';
import { createMemoryData, createMemoryState, type MemoryData, type SharedState } from '#libs/state';
import { createPike, PIKE_METRIC_NAMES, PIKE_REJECTIONS, type PikeConfig, type PikeDeps } from './index.ts';
import { fakeRequest, metric, pikeConfig, quietLogger, Registry } from './test-support.ts';

const T0 = 1_700_000_000_000; // a multiple of every unit used here

const closers: (() => Promise<void>)[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  vi.setSystemTime(T0);
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  vi.useRealTimers();
});

interface NodeOpts {
  config?: Partial<PikeConfig>;
  exempt?: string[];
  data?: MemoryData;
  hub?: MemoryHub;
  bans?: PikeDeps['bans'];
}

async function node(o: NodeOpts = {}) {
  const logger = quietLogger();
  const registry = new Registry();
  const state: SharedState = createMemoryState({ cluster: 'pike-test', data: o.data });
  const bus = createMemoryBus({ cluster: 'pike-test', node: `n${closers.length}`, logger, registry, hub: o.hub });
  const table = await ReplicatedTable.start({ name: BAN_TABLE, channel: 'ban', state, bus, logger, registry, resyncIntervalMs: 0 });
  const config = pikeConfig(o.config);
  const pike = createPike({ config, state, bans: o.bans ?? table, exempt: o.exempt ?? [], registry, logger });
  closers.push(async () => { await pike.close(); await table.close(); await bus.close(); await state.close(); });
  return { pike, table, registry, state, config };
}

/** Moves fake time to `fraction` of the unit after the next window start (or this one's, if still ahead). */
async function toPhase(unit: number, fraction: number): Promise<void> {
  const now = Date.now();
  let target = Math.floor(now / unit) * unit + Math.round(fraction * unit);
  if (target <= now) target += unit;
  await vi.advanceTimersByTimeAsync(target - now);
}

function send(step: { run(c: RequestContext): unknown }, address: string, n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(step.run(fakeRequest(address)));
  return out;
}

const passed = (verdicts: unknown[]) => verdicts.filter((v) => v === 'next').length;

describe('pike step (memory backend)', () => {
  it('lets reqs_density_per_unit requests through and trips on the next one, banning the source', async () => {
    const { pike, table, registry } = await node();
    await toPhase(2000, 0.1);
    expect(passed(send(pike.step, '198.51.100.7', 30))).toBe(30);
    expect(pike.step.run(fakeRequest('198.51.100.7'))).toMatchObject({ reject: 'pike.flood' });
    await vi.advanceTimersByTimeAsync(1);
    expect(table.get('198.51.100.7')).toBe('pike');
    // still over: refused, but banned only once
    expect(pike.step.run(fakeRequest('198.51.100.7'))).toMatchObject({ reject: 'pike.flood' });
    await vi.advanceTimersByTimeAsync(1);
    expect(await metric(registry, PIKE_METRIC_NAMES.blocked)).toBe(2);
    expect(await metric(registry, PIKE_METRIC_NAMES.bans)).toBe(1);
    expect(await metric(registry, PIKE_METRIC_NAMES.sources)).toBe(1);
    // another source is unaffected
    expect(pike.step.run(fakeRequest('198.51.100.8'))).toBe('next');
  });

  it('writes the ban with ban_time as TTL, defaulting to remove_latency', async () => {
    const a = await node({ config: { reqs_density_per_unit: 5 } });
    const b = await node({ config: { reqs_density_per_unit: 5, remove_latency: 30_000, ban_time: 45_000 } });
    send(a.pike.step, '203.0.113.1', 6);
    send(b.pike.step, '203.0.113.2', 6);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.table.entry('203.0.113.1')!.expiresAt! - Date.now()).toBe(120_000 - 1);
    expect(b.table.entry('203.0.113.2')!.expiresAt! - Date.now()).toBe(45_000 - 1);
    await vi.advanceTimersByTimeAsync(45_000);
    expect(b.table.has('203.0.113.2')).toBe(false);
    expect(a.table.has('203.0.113.1')).toBe(true);
  });

  it('counts over the last unit across the window edge (sliding estimate)', async () => {
    const { pike } = await node({ config: { sampling_time_unit: 1000 } });
    // 20 requests spread evenly over a window; half-way through the next one,
    // the 10 of them in its second half still count
    await toPhase(1000, 0);
    for (let i = 0; i < 20; i++) {
      expect(pike.step.run(fakeRequest('192.0.2.1'))).toBe('next');
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(500);
    const v = send(pike.step, '192.0.2.1', 21);
    expect(passed(v)).toBe(20); // 20 + 10 = 30; the 21st makes 31
    expect(v[20]).toMatchObject({ reject: 'pike.flood' });
  });

  it('catches a burst straddling the window edge that each fixed window alone would miss', async () => {
    const { pike } = await node();
    await toPhase(2000, 0.9);
    expect(passed(send(pike.step, '192.0.2.2', 25))).toBe(25);
    await toPhase(2000, 0.05);
    // the 25 were 0.15 unit ago: all of them count
    const v = send(pike.step, '192.0.2.2', 10);
    expect(passed(v)).toBe(5);
  });

  it('forgets a source after two quiet units', async () => {
    const { pike, registry } = await node();
    await toPhase(2000, 0.1);
    expect(passed(send(pike.step, '192.0.2.3', 30))).toBe(30);
    await vi.advanceTimersByTimeAsync(4200); // two windows later: nothing left to weigh
    expect(await metric(registry, PIKE_METRIC_NAMES.sources)).toBe(0);
    expect(passed(send(pike.step, '192.0.2.3', 30))).toBe(30);
  });

  it('never counts nor bans trusted and exempt sources', async () => {
    const { pike, table, registry } = await node({
      config: { reqs_density_per_unit: 3, trusted: ['10.0.0.0/8', '2001:db8::/32'] },
      exempt: ['192.0.2.50', 'gw.example.net'],
    });
    for (const ip of ['10.1.2.3', '2001:db8::7', '192.0.2.50', '::ffff:10.9.9.9']) expect(passed(send(pike.step, ip, 100))).toBe(100);
    await vi.advanceTimersByTimeAsync(200);
    expect(table.size).toBe(0);
    expect(await metric(registry, PIKE_METRIC_NAMES.sources)).toBe(0);
    expect(await metric(registry, PIKE_METRIC_NAMES.blocked)).toBe(0);
    // a gateway address given later (dispatcher reload) is exempt from then on
    expect(passed(send(pike.step, '192.0.2.60', 5))).toBe(3);
    pike.setExempt(['192.0.2.60']);
    expect(passed(send(pike.step, '192.0.2.60', 5))).toBe(5);
  });

  it('action reply: the pike.flood_reply code with Retry-After (the ban time in seconds) on the verdict', async () => {
    const withReply = await node({ config: { reqs_density_per_unit: 2, action: 'reply', ban_time: 90_500 } });
    const v = send(withReply.pike.step, '198.51.100.20', 3);
    expect(v.slice(0, 2)).toEqual(['next', 'next']);
    expect(v[2]).toMatchObject({ reject: 'pike.flood_reply', headers: [['Retry-After', '91']] });
    expect(PIKE_REJECTIONS.floodReply).toMatchObject({ status: 503, reason: 'Service Unavailable' });
    expect(PIKE_REJECTIONS.flood.status).toBe('drop');
  });

  it('keeps refusing when the ban cannot be written, and retries one unit later', async () => {
    let fail = true;
    const writes: string[] = [];
    const bans: PikeDeps['bans'] = {
      has: () => false,
      set: async (key) => {
        writes.push(key);
        if (fail) throw new Error('redis down');
        return { key, value: 'pike', expiresAt: null };
      },
    };
    const { pike, registry } = await node({ config: { reqs_density_per_unit: 2, sampling_time_unit: 1000 }, bans });
    await toPhase(1000, 0.1);
    const v = send(pike.step, '198.51.100.30', 6);
    await vi.advanceTimersByTimeAsync(1);
    expect(passed(v)).toBe(2);
    expect(writes).toHaveLength(1);
    expect(await metric(registry, PIKE_METRIC_NAMES.bans)).toBe(0);
    fail = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(passed(send(pike.step, '198.51.100.30', 3))).toBe(0); // over, and within the retry pause
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(passed(send(pike.step, '198.51.100.30', 5))).toBeLessThan(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(writes).toHaveLength(2);
    expect(await metric(registry, PIKE_METRIC_NAMES.bans)).toBe(1);
  });

  it('counts a source across nodes sharing the store (flushed totals)', async () => {
    const data = createMemoryData();
    const hub = new MemoryHub();
    const nodes = [await node({ data, hub }), await node({ data, hub })];
    await toPhase(2000, 0.1);
    // 20 on node 0, 1 on node 1; once node 1 has flushed it knows the cluster
    // total (21): 9 more pass there, the 10th trips
    expect(passed(send(nodes[0].pike.step, '192.0.2.9', 20))).toBe(20);
    expect(passed(send(nodes[1].pike.step, '192.0.2.9', 1))).toBe(1);
    await vi.advanceTimersByTimeAsync(150);
    const v = send(nodes[1].pike.step, '192.0.2.9', 10);
    expect(passed(v)).toBe(9);
    expect(v[9]).toMatchObject({ reject: 'pike.flood' });
    await vi.advanceTimersByTimeAsync(1);
    expect(nodes[0].table.has('192.0.2.9')).toBe(true);
  });

  it('pike.top lists the hottest sources cluster-wide, of the current or previous unit', async () => {
    const { pike } = await node();
    await toPhase(2000, 0.1);
    send(pike.step, '192.0.2.20', 5);
    send(pike.step, '192.0.2.21', 40);
    send(pike.step, '192.0.2.22', 1);
    await vi.advanceTimersByTimeAsync(150);
    const top = pike.admin.find((c) => c.name === 'pike.top')!;
    const expected = {
      sampling_time_unit_ms: 2000,
      reqs_density_per_unit: 30,
      sources: [
        { address: '192.0.2.21', count: 40, over: true, banned: true },
        { address: '192.0.2.20', count: 5, over: false, banned: false },
      ],
    };
    expect(await top.run({ n: 2 })).toEqual({ window: 'current', ...expected });
    await vi.advanceTimersByTimeAsync(2000);
    expect(await top.run({ n: 2, window: 'previous' })).toEqual({ window: 'previous', ...expected });
    expect(await top.run({})).toMatchObject({ sources: [] });
    await expect(Promise.resolve().then(() => top.run({ n: 0 }))).rejects.toThrow(/n must be/);
    await expect(Promise.resolve().then(() => top.run({ window: 'last' }))).rejects.toThrow(/window must be/);
  });

  it('when disabled: lets everything through and pike.top says so', async () => {
    const { pike, state } = await node({ config: { enabled: false, reqs_density_per_unit: 1 } });
    const counters = vi.spyOn(state, 'counters');
    expect(passed(send(pike.step, '192.0.2.40', 50))).toBe(50);
    expect(counters).not.toHaveBeenCalled();
    await expect(Promise.resolve().then(() => pike.admin[0].run({}))).rejects.toMatchObject({ status: 409 });
  });
});
