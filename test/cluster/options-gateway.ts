// A scripted gateway for probing tests: a UDP socket that answers OPTIONS
// (200 by default, or a chosen status, or nothing) and records who probed it
// when. Other requests are counted and left unanswered.
import { createSocket } from 'node:dgram';
import { createResponse, parseMessage } from '#libs/sip';

export interface Probe {
  /** Date.now() when it arrived */
  at: number;
  /** source port: the SBC node that sent it */
  port: number;
}

export interface OptionsGateway {
  readonly host: string;
  readonly port: number;
  readonly uri: string;
  /** OPTIONS received (retransmissions of one probe counted once) */
  probes(): Probe[];
  /** INVITEs received per Call-ID (retransmissions and copies from several nodes counted) */
  invites(): Map<string, number>;
  /** forget what was recorded so far */
  reset(): void;
  /** 'answer' (default 200), 'silent' (no answer at all), or a status to answer with */
  behave(mode: 'answer' | 'silent' | number): void;
  stop(): Promise<void>;
}

export async function startOptionsGateway(host = '127.0.0.1'): Promise<OptionsGateway> {
  const sock = createSocket('udp4');
  let probes: Probe[] = [];
  const seen = new Set<string>();
  let mode: 'answer' | 'silent' | number = 'answer';
  const invites = new Map<string, number>();
  sock.on('message', (buf, rinfo) => {
    const r = parseMessage(buf);
    if (!r.ok) return;
    if (r.msg.method === 'INVITE') {
      const id = r.msg.callId() ?? '';
      invites.set(id, (invites.get(id) ?? 0) + 1);
      // busy: a final the relay does not fail over on, so no other gateway gets this call
      sock.send(createResponse(r.msg, 486, 'Busy Here', { toTag: 'gw' }).serialize(), rinfo.port, rinfo.address);
      return;
    }
    if (r.msg.method !== 'OPTIONS') return;
    const branch = r.msg.topVia()?.params.get('branch') ?? '';
    if (!seen.has(branch)) {
      seen.add(branch);
      if (seen.size > 10_000) seen.clear();
      probes.push({ at: Date.now(), port: rinfo.port });
    }
    if (mode === 'silent') return;
    const status = mode === 'answer' ? 200 : mode;
    const res = createResponse(r.msg, status, status === 200 ? 'OK' : 'Gateway Says No', { toTag: 'gw' });
    sock.send(res.serialize(), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, host, () => resolve());
  });
  const port = sock.address().port;
  return {
    host, port, uri: `sip:${host}:${port}`,
    probes: () => [...probes],
    invites: () => new Map(invites),
    reset: () => { probes = []; invites.clear(); },
    behave: (m) => { mode = m; },
    stop: () => new Promise((r) => sock.close(() => r())),
  };
}
