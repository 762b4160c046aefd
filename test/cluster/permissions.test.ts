// Permissions across node processes: the international-calls policy answers
// 403 to non-members on every node, and a rule change applied through one
// node (permissions.apply) takes effect on all nodes without a restart.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SbcNodeHandle } from '../sipp/index.ts';
import { uniqueName, waitUntil } from '../harness/index.ts';
import { parseMessage } from '#libs/sip';
import { admin, startClusterNode } from './cluster-kit.ts';

const cluster = uniqueName('perm').replace(/[^A-Za-z0-9_-]/g, '_');
const nodes: SbcNodeHandle[] = [];
const section = (members: string[]) => ({
  enabled: true,
  groups: { international: members },
  policies: [{ name: 'international', ruri_pattern: '^sip:00[1-9][0-9]+@', require_group: 'international', reason: 'No permission for international calls' }],
});

beforeAll(async () => {
  nodes.push(...(await Promise.all(['a1', 'a2', 'a3'].map((id) => startClusterNode({ id, cluster, redisUrl: inject('redisUrl'), natsUrl: inject('natsUrl'), config: { permissions: section(['bob@example.com']) } })))));
}, 90_000);

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

let seq = 0;
/** First final-or-provisional status the node answers to an INVITE to `number` from `user`. */
async function firstAnswer(n: SbcNodeHandle, user: string, number: string): Promise<{ status: number; reason: string } | undefined> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const id = `perm-${process.pid}-${++seq}`;
  const text = [
    `INVITE sip:${number}@${n.host}:${n.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${id};rport`,
    `From: <sip:${user}>;tag=${id}`,
    `To: <sip:${number}@${n.host}>`,
    `Call-ID: ${id}@127.0.0.1`,
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${port}>`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 2000);
      sock.on('message', (m) => {
        const r = parseMessage(m);
        if (r.ok && r.msg.callId() === `${id}@127.0.0.1`) { clearTimeout(timer); resolve({ status: r.msg.status, reason: r.msg.reason }); }
      });
      sock.send(text, n.port, n.host);
    });
  } finally {
    sock.close();
  }
}

describe('permissions over three node processes', () => {
  it('refuses international calls from non-members with the policy reason, on every node', async () => {
    for (const n of nodes) {
      expect(await firstAnswer(n, 'alice@example.com', '0049301234567')).toEqual({ status: 403, reason: 'No permission for international calls' });
      // a member gets through (the node takes the call: 100 Trying)
      expect((await firstAnswer(n, 'bob@example.com', '0049301234567'))?.status).toBe(100);
      // a national number is not concerned
      expect((await firstAnswer(n, 'alice@example.com', '030123456'))?.status).toBe(100);
    }
  });

  it('applies a rule change made through one node on every node without restart', async () => {
    await admin(nodes[1], 'permissions.apply', { doc: JSON.stringify(section(['bob@example.com', 'alice@example.com'])) });
    await waitUntil(async () => {
      const answers = await Promise.all(nodes.map((n) => firstAnswer(n, 'alice@example.com', '0049301234567')));
      return answers.every((a) => a?.status === 100);
    }, 5000, 50);
  });

  it('refuses a broken rule document with the problems and keeps the current rules', async () => {
    await expect(admin(nodes[0], 'permissions.apply', { doc: JSON.stringify({ enabled: true, policies: [{ name: 'x', ruri_pattern: '(', require_group: 'nope' }] }) })).rejects.toThrow(/422/);
    expect((await firstAnswer(nodes[2], 'alice@example.com', '0049301234567'))?.status).toBe(100);
  });
});
