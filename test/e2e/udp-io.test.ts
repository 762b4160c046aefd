// The node's UDP I/O path (sip.udp.io) through a running node process: by
// default (auto) it takes the batched addon that npm ci builds on Linux
// (recvmmsg/sendmmsg), says so in sbc_transport_udp_io, and carries calls;
// io: dgram forces node:dgram and carries the same calls. On either path the
// socket gets the default 1 MiB receive buffer (sip.udp.recv_buffer_bytes).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runUac, startSbcNode, startUas, type SbcNodeHandle } from '../sipp/index.ts';

const running: Array<{ stop(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

/** the receive buffer the kernel gave the UDP socket bound to host:port (`ss` skmem rb) */
function receiveBuffer(host: string, port: number): number {
  const out = execFileSync('ss', ['-uamnH', `src ${host}:${port}`], { encoding: 'utf8' });
  const rb = /skmem:\(r\d+,rb(\d+)/.exec(out)?.[1];
  if (rb === undefined) throw new Error(`no socket on ${host}:${port} in ss output: ${out}`);
  return Number(rb);
}

const cases = [
  // on Linux the addon must have been built by npm ci: auto is batched there
  { io: 'auto', expected: process.platform === 'linux' ? 'batched' : 'dgram' },
  { io: 'dgram', expected: 'dgram' },
] as const;

describe.each(cases)('a node with sip.udp.io: $io', ({ io, expected }) => {
  it(`uses ${expected} I/O and carries calls`, async () => {
    const gw = await startUas({ scenario: 'uas' });
    running.push(gw);
    const node: SbcNodeHandle = await startSbcNode({ gateways: [gw], config: { log: { level: 'warn' }, sip: { udp: { io } } } });
    running.push(node);
    // the kernel doubles what was asked, after capping it at net.core.rmem_max
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    expect(receiveBuffer(node.host, node.port)).toBe(2 * Math.min(1_048_576, rmemMax));
    const metrics = async (): Promise<string> => (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
    const socket = `udp:${node.host}:${node.port}`;
    const ioLine = new RegExp(`sbc_transport_udp_io\\{socket="${socket}",io="(\\w+)"[^}]*\\} 1`);
    expect(ioLine.exec(await metrics())?.[1]).toBe(expected);
    const calls = 60;
    const r = await runUac({ target: `${node.host}:${node.port}`, calls, rate: 30, timeoutMs: 30_000 });
    expect(r.timedOut).toBe(false);
    expect(r.successful, r.errors || node.logTail()).toBe(calls);
    expect((await gw.stop()).incoming).toBe(calls);
    const text = await metrics();
    // INVITE, ACK, BYE in and out per call at least, on the path named above
    const count = (dir: string): number => Number(new RegExp(`sbc_transport_messages_total\\{proto="udp",direction="${dir}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('in')).toBeGreaterThanOrEqual(calls * 6);
    expect(count('out')).toBeGreaterThanOrEqual(calls * 6);
    expect(text).not.toMatch(/sbc_transport_errors_total\{proto="udp"/);
  });
});
