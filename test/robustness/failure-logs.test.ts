// Issue 20: requests that fail downstream (dead gateways, an unreachable
// in-dialog next hop) must not write one log line each. Every per-request
// failure line goes through the rejection log's token bucket (5 lines/s per
// kind after a burst of 10, and the next line reports how many were
// suppressed), so the bound below holds however slow the machine is: it is
// computed from the time the run took.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSbcNode, startSilentGateway, type SbcNodeHandle, type SilentGateway } from '../sipp/index.ts';
import { RawSipPeer } from './sip-client.ts';

let node: SbcNodeHandle;
const gateways: SilentGateway[] = [];

beforeAll(async () => {
  // two gateways that never answer: every INVITE times out on one, fails over, times out again
  for (let i = 0; i < 2; i++) gateways.push(await startSilentGateway());
  node = await startSbcNode({
    gateways: gateways.map((g) => ({ host: g.host, port: g.port })),
    keepArtifacts: true,
    // short timers so every request has failed (and logged what it logs) within seconds
    // (fr_timer also bounds an INVITE branch that never answers; the dispatcher's failover timeout is longer)
    config: { log: { level: 'info' }, tm: { fr_timer: 1500 } },
  });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  for (const g of gateways) await g.stop();
  if (node && !process.env.KEEP_NODE_DIR) rmSync(dirname(node.configFile), { recursive: true, force: true });
});

it('200 failing INVITEs and 200 failing BYEs write a bounded number of log lines, with the suppressed count', async () => {
  const peer = await RawSipPeer.open('udp', node.host, node.port);
  const t0 = Date.now();
  const N = 200;
  // paced by a window of unanswered requests: a burst beyond the socket buffers would be lost by the kernel, not by the node
  const heard = () => new Set(peer.inbox.map((m) => m.callId())).size;
  try {
    for (let i = 0; i < N; i++) {
      for (let waited = 0; 2 * i - heard() > 100 && waited < 30_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
      const via = (k: string) => `Via: SIP/2.0/UDP 127.0.0.1:${peer.localPort};branch=z9hG4bK-fl${k}${i}-${t0};rport`;
      // an in-dialog BYE whose next hop (after our own Route) does not answer
      await peer.send(Buffer.from(`BYE sip:bob@127.0.0.1:9 SIP/2.0\r\n${via('b')}\r\nRoute: <sip:${node.host}:${node.port};lr>, <sip:127.0.0.1:9;lr>\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: fl-bye-${i}-${t0}\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`));
      // an INVITE to the dead gateways
      await peer.send(Buffer.from(`INVITE sip:bob@example.com SIP/2.0\r\n${via('i')}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>\r\nCall-ID: fl-inv-${i}-${t0}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`));
    }
    // every request has its final answer (408/503/404): the log lines are all written by then
    // (distinct Call-IDs: unACKed INVITE finals are retransmitted)
    const answered = () => new Set(peer.inbox.filter((m) => m.status >= 400).map((m) => m.callId())).size;
    for (let waited = 0; answered() < 2 * N && waited < 60_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    // (UDP: a datagram may be lost on a loaded machine, and this test sends each request once)
    expect(answered()).toBeGreaterThanOrEqual(2 * N - 10);
  } finally {
    peer.close();
  }
  const seconds = (Date.now() - t0) / 1000;
  const lines = readFileSync(join(dirname(node.configFile), 'sbc.log'), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; event?: string; suppressed?: number });
  // per kind of line: a burst of 20, then 10 a second (log.rejects defaults; the transport's and
  // the relay's own buckets are smaller: 10, then 5 a second); the suppressed count is reported
  const bound = 20 + Math.ceil(10 * seconds) + 1;
  expect(lines.filter((l) => l.event === 'relay_failover').length).toBeGreaterThan(0);
  expect(lines.length).toBeLessThan(2 * N);
  expect(lines.some((l) => (l.suppressed ?? 0) > 0)).toBe(true);
  // nothing a request caused is written once per request
  const perKind = new Map<string, number>();
  for (const l of lines) perKind.set(l.msg, (perKind.get(l.msg) ?? 0) + 1);
  for (const [msg, n] of perKind) expect(n, msg).toBeLessThanOrEqual(bound);
}, 240_000);
