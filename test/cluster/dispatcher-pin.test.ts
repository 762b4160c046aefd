// Issue 15 "done when", cluster rule 1: an INVITE sent to node 1 and its
// retransmission (same branch) sent to node 2 reach the same gateway under
// algorithms 4 (round robin) and 6 (random), whose choice is per node: the
// first node pins it in Redis for the request (Call-ID + branch).
import { createSocket } from 'node:dgram';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SbcNodeHandle } from '../sipp/index.ts';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { admin, destinations, startClusterNode } from './cluster-kit.ts';
import { startOptionsGateway, type OptionsGateway } from './options-gateway.ts';

const gws: OptionsGateway[] = [];
const started: SbcNodeHandle[] = [];

beforeAll(async () => {
  for (let i = 0; i < 3; i++) gws.push(await startOptionsGateway());
});

afterAll(async () => {
  await Promise.all(started.map((n) => n.stop()));
  await Promise.all(gws.map((g) => g.stop()));
});

async function twoNodes(algorithm: number): Promise<[SbcNodeHandle, SbcNodeHandle]> {
  const cluster = uniqueName(`dspin${algorithm}`).replace(/[^A-Za-z0-9_-]/g, '_');
  const dispatcher = { algorithm, sets: gws.map((g) => ({ setid: 1, uri: g.uri })) };
  const start = (id: string) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl'), config: { dispatcher } });
  const pair = (await Promise.all([start('n1'), start('n2')])) as [SbcNodeHandle, SbcNodeHandle];
  started.push(...pair);
  return pair;
}

function invite(callId: string, branch: string, localPort: number): Buffer {
  return Buffer.from([
    'INVITE sip:bob@example.com SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=${branch.slice(-8)}`,
    'To: <sip:bob@example.com>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@127.0.0.1:${localPort}>`,
    'Content-Length: 0',
    '', '',
  ].join('\r\n'));
}

/** Each INVITE goes to one node, its retransmission to the other; returns how many gateways saw each call. */
async function retransmitAcross(a: SbcNodeHandle, b: SbcNodeHandle, calls: number): Promise<number[]> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const ids: string[] = [];
  try {
    // one call node 1 alone handles: the round-robin cursors of the two nodes now differ
    sock.send(invite(`solo-${Date.now()}@test`, `z9hG4bK-solo-${Math.random().toString(36).slice(2)}`, port), a.port, a.host);
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < calls; i++) {
      const id = `pin-${Date.now()}-${i}@test`;
      ids.push(id);
      const msg = invite(id, `z9hG4bK-pin-${i}-${Math.random().toString(36).slice(2)}`, port);
      const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
      sock.send(msg, first.port, first.host);
      await new Promise((r) => setTimeout(r, 30));
      sock.send(msg, second.port, second.host);
      await new Promise((r) => setTimeout(r, 30));
    }
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    sock.close();
  }
  return ids.map((id) => gws.filter((g) => (g.invites().get(id) ?? 0) > 0).length);
}

describe('cluster rule 1: a retransmitted INVITE reaches the same gateway through another node', () => {
  for (const algorithm of [4, 6]) {
    it(`algorithm ${algorithm}`, async () => {
      const [n1, n2] = await twoNodes(algorithm);
      const seen = await retransmitAcross(n1, n2, 20);
      expect(seen).toEqual(seen.map(() => 1));
      // and the calls were spread: round robin and random do not pin everything to one gateway
      expect(gws.filter((g) => g.invites().size > 0).length).toBeGreaterThan(1);
      for (const g of gws) g.reset();
    }, 60_000);
  }
});

describe('dispatcher.reload through one node', () => {
  it('re-reads that node\'s list file and replaces the sets on every node; a later node takes the states from Redis', async () => {
    const cluster = uniqueName('dsreload').replace(/[^A-Za-z0-9_-]/g, '_');
    const start = (id: string) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl') });
    const pair = await Promise.all([start('n1'), start('n2')]);
    started.push(...pair);
    const [n1, n2] = pair;
    const added = 'sip:127.0.0.1:5997';
    appendFileSync(join(n1.dir, 'dispatcher.list'), `1 ${added} 0 0 duid=new\n`);
    const r = (await admin(n1, 'dispatcher.reload')) as { added: number };
    expect(r.added).toBe(1);
    await waitUntil(async () => (await destinations(n2, 1)).some((d) => d.uri === added), 2000, 10);
    // a bad file is refused with its line, and the sets stay
    appendFileSync(join(n1.dir, 'dispatcher.list'), 'not a line\n');
    await expect(admin(n1, 'dispatcher.reload')).rejects.toThrow(/422[\s\S]*dispatcher\.list:4/);
    expect((await destinations(n2, 1)).some((d) => d.uri === added)).toBe(true);

    // a state set on one node holds on a node that starts later (it reads Redis at start)
    await admin(n2, 'dispatcher.set_state', { state: 'ip', group: 1, address: added });
    await waitUntil(async () => (await destinations(n1, 1)).find((d) => d.uri === added)?.flags === 'IP', 2000, 10);
    const n3 = await start('n3');
    started.push(n3);
    expect((await destinations(n3, 1)).find((d) => d.uri === added)?.flags).toBe('IP');
  }, 60_000);
});
