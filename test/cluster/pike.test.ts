// Pike across node processes: a flood spread round-robin over 3 nodes at 1.5x
// the density is banned on all 3 within one sampling unit; a source at 0.5x
// the density is never banned, and keeps being served.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SbcNodeHandle } from '../sipp/index.ts';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { optionsToSelf } from '../robustness/sip-client.ts';
import { parseMessage } from '#libs/sip';
import { admin, metric, startClusterNode } from './cluster-kit.ts';

const cluster = uniqueName('pike').replace(/[^A-Za-z0-9_-]/g, '_');
const nodes: SbcNodeHandle[] = [];
const UNIT_MS = 1000;
const DENSITY = 20;

beforeAll(async () => {
  const pike = { enabled: true, sampling_time_unit: `${UNIT_MS}ms`, reqs_density_per_unit: DENSITY, ban_time: '30s', flush_interval: '100ms' };
  nodes.push(...(await Promise.all(['p1', 'p2', 'p3'].map((id) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl'), config: { pike, permissions: { enabled: true, address: [{ group: 5, ip: '127.0.0.52/32', tag: 'partner' }], trusted_group: 5 } } })))));
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

/** Sends OPTIONS-to-self from `ip` round-robin over the nodes at `perUnit` requests per sampling unit; counts answers. */
async function traffic(ip: string, perUnit: number, units: number): Promise<{ sent: number; answered: number; firstUnansweredMs: number | undefined }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, ip, () => r()));
  const start = Date.now();
  const sentAt = new Map<string, number>();
  let answered = 0;
  sock.on('message', (m) => { const r = parseMessage(m); if (r.ok && sentAt.delete(r.msg.callId() ?? '')) answered++; });
  const total = perUnit * units;
  const gap = UNIT_MS / perUnit;
  for (let i = 0; i < total; i++) {
    const n = nodes[i % nodes.length];
    const p = optionsToSelf('udp', n.host, n.port, sock.address().port);
    sentAt.set(p.callId, Date.now() - start);
    sock.send(p.data, n.port, n.host);
    await new Promise((r) => setTimeout(r, gap));
  }
  await new Promise((r) => setTimeout(r, 300));
  sock.close();
  const unanswered = [...sentAt.values()].sort((a, b) => a - b);
  return { sent: total, answered, firstUnansweredMs: unanswered[0] };
}

const bannedOn = async (n: SbcNodeHandle, ip: string) => ((await admin(n, 'htable.dump', { table: 'ipban' })) as { key: string }[]).some((e) => e.key === ip);

describe('pike over three node processes', () => {
  it('bans a 1.5x flood spread over the nodes on every node within one sampling unit', async () => {
    const flooder = '127.0.0.50';
    const r = await traffic(flooder, DENSITY * 1.5, 3);
    // refused from some point on: the ban came within the first unit (plus the flush interval)
    expect(r.firstUnansweredMs).toBeDefined();
    expect(r.firstUnansweredMs!).toBeLessThan(UNIT_MS + 300);
    expect(r.answered).toBeLessThan(r.sent);
    await waitUntil(async () => (await Promise.all(nodes.map((n) => bannedOn(n, flooder)))).every(Boolean), 2000, 20);
    let blocked = 0;
    for (const n of nodes) blocked += (await metric(n, 'sbc_pike_bans_total', 'node=')) ?? 0;
    expect(blocked).toBeGreaterThanOrEqual(1);
  });

  it('never bans a source at 0.5x the density', async () => {
    const calm = '127.0.0.51';
    const r = await traffic(calm, DENSITY * 0.5, 3);
    expect(r.answered).toBe(r.sent);
    for (const n of nodes) expect(await bannedOn(n, calm)).toBe(false);
    // pike.top on any node shows the cluster-wide count of the last complete window
    const top = JSON.stringify(await admin(nodes[2], 'pike.top', { n: 5, window: 'previous' }));
    expect(top).toContain(calm);
  });

  it('never bans an exempt source (own and gateway addresses, the trusted address group) even at 2x the density', async () => {
    for (const ip of ['127.0.0.1', '127.0.0.52']) {
      const r = await traffic(ip, DENSITY * 2, 2);
      expect(r.answered, ip).toBe(r.sent);
      for (const n of nodes) expect(await bannedOn(n, ip)).toBe(false);
    }
  });

});
