// A gateway that never answers: a bound socket that only counts what it gets.
// Drives the proxy's timeout failover (408 / branch timeout -> next gateway).
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import type { Proto } from './proc.ts';

export interface SilentGateway {
  host: string;
  port: number;
  transport: Proto;
  /** SIP requests received so far (retransmissions included) */
  received(): number;
  stop(): Promise<void>;
}

const REQUEST_LINE = /^[A-Z]+ \S+ SIP\/2\.0\r?$/gm;

/** port 0 (the default) lets the OS choose a free one. */
export async function startSilentGateway(opts: { host?: string; port?: number; transport?: Proto } = {}): Promise<SilentGateway> {
  const host = opts.host ?? '127.0.0.1';
  const transport = opts.transport ?? 'udp';
  let count = 0;
  if (transport === 'udp') {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.on('message', (buf) => { count += (buf.toString('latin1').match(REQUEST_LINE) ?? []).length; });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.port ?? 0, host, () => resolve());
    });
    return {
      host, transport, port: sock.address().port,
      received: () => count,
      stop: () => new Promise((resolve) => sock.close(() => resolve())),
    };
  }
  const conns = new Set<Socket>();
  const server = createServer((conn) => {
    conns.add(conn);
    conn.on('data', (d) => { count += (d.toString('latin1').match(REQUEST_LINE) ?? []).length; });
    conn.on('close', () => conns.delete(conn));
    conn.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  return {
    host, transport, port: typeof addr === 'object' && addr ? addr.port : 0,
    received: () => count,
    stop: () => new Promise((resolve) => {
      for (const c of conns) c.destroy();
      server.close(() => resolve());
    }),
  };
}
