// Helpers for multi-process cluster tests: start SBC node processes sharing
// one Redis and one NATS, call their admin API, probe them with SIP from a
// chosen loopback source address.
import { createSocket } from 'node:dgram';
import { adminPost, startSbcNode, type SbcNodeHandle } from '../sipp/index.ts';
import { optionsToSelf } from '../robustness/sip-client.ts';
import { parseMessage } from '#libs/sip';

export interface ClusterNodeOptions {
  id: string;
  cluster: string;
  redisUrl: string;
  natsUrl: string;
  /** extra top-level config sections, merged shallowly */
  config?: Record<string, unknown>;
  /** SIP port of the node (default: a free one) */
  port?: number;
}

export function startClusterNode(o: ClusterNodeOptions): Promise<SbcNodeHandle> {
  return startSbcNode({
    gateways: [{ host: '127.0.0.1', port: 9 }],
    ...(o.port !== undefined ? { port: o.port } : {}),
    config: {
      node: { id: o.id, cluster: o.cluster },
      state: { backend: 'redis', redis: { url: o.redisUrl } },
      bus: { servers: [o.natsUrl], resync_interval: 1000 },
      log: { level: 'warn' },
      ...o.config,
    },
  });
}

export async function admin(node: SbcNodeHandle, name: string, params: Record<string, unknown> = {}): Promise<unknown> {
  const res = await fetch(`http://${node.host}:${node.httpPort}/admin/${name}`, adminPost(node, params));
  const body = (await res.json()) as { result?: unknown; error?: string };
  if (!res.ok) throw new Error(`${name} on ${node.port}: ${res.status} ${body.error}`);
  return body.result;
}

export async function metric(node: SbcNodeHandle, name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`http://${node.host}:${node.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** OPTIONS to the node itself from a given loopback source address; the status, or undefined when unanswered. */
export async function optionsFrom(node: SbcNodeHandle, sourceIp: string, timeoutMs = 400): Promise<number | undefined> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, sourceIp, () => r()));
  try {
    const probe = optionsToSelf('udp', node.host, node.port, sock.address().port);
    const answer = new Promise<number | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      sock.on('message', (m) => {
        const r = parseMessage(m);
        if (r.ok && r.msg.callId() === probe.callId) { clearTimeout(timer); resolve(r.msg.status); }
      });
    });
    sock.send(probe.data, node.port, node.host);
    return await answer;
  } finally {
    sock.close();
  }
}

/** The node's dispatcher.list: per set, the state flags of each destination (and latency / calls when known). */
export interface ListedDest { uri: string; flags: string; state: string; since: number; latency?: { count: number; avg: number; est: number; max: number; timeouts: number }; calls?: number }
export async function destinations(node: SbcNodeHandle, setId: number): Promise<ListedDest[]> {
  const r = (await admin(node, 'dispatcher.list')) as { sets: { id: number; destinations: ListedDest[] }[] };
  return r.sets.find((s) => s.id === setId)?.destinations ?? [];
}

export async function stateOf(node: SbcNodeHandle, setId: number, uri: string): Promise<string | undefined> {
  return (await destinations(node, setId)).find((d) => d.uri === uri)?.state;
}

/** kill -9 of the node's whole process group: no goodbye, no lease handed back. */
export function killNode(node: SbcNodeHandle): void {
  try { process.kill(-node.pgid, 'SIGKILL'); } catch { /* already gone */ }
}
