// Test-only helpers for the transport tests (not exported by index.ts):
// a layer on ephemeral loopback ports, a capturing logger, metric reads,
// and tiny scripted peers on real sockets.
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { TransportLayer, type TransportLayerOptions } from './layer.ts';
import type { TransportConfig } from './config.ts';
import type { InboundMessage } from './types.ts';

export interface Harness {
  layer: TransportLayer;
  registry: Registry;
  logs: Array<Record<string, unknown>>;
  inbox: InboundMessage[];
}

export function captureLogger(): { logger: Logger; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
  return { logger, logs };
}

export async function startLayer(config: TransportConfig, extra: Partial<TransportLayerOptions> = {}): Promise<Harness> {
  const registry = new Registry();
  const { logger, logs } = captureLogger();
  const inbox: InboundMessage[] = [];
  const layer = await TransportLayer.start({ config, logger, registry, handler: (m) => void inbox.push(m), ...extra });
  return { layer, registry, logs, inbox };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export function sipRequest(method: string, callId: string, body = ''): string {
  return (
    `${method} sip:bob@example.com SIP/2.0\r\n` +
    `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-${callId}\r\n` +
    `Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1\r\n` +
    `Call-ID: ${callId}\r\nCSeq: 1 ${method}\r\n` +
    (body !== '' ? 'Content-Type: application/sdp\r\n' : '') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** A UDP peer on loopback collecting what it receives. */
export async function udpPeer(host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<{ sock: DgramSocket; port: number; got: Array<{ data: Buffer; port: number }> }> {
  const sock = createSocket(host === '::1' ? 'udp6' : 'udp4');
  const got: Array<{ data: Buffer; port: number }> = [];
  sock.on('message', (data, r) => got.push({ data, port: r.port }));
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return { sock, port: sock.address().port, got };
}

/** A TCP client on loopback collecting every byte it receives. */
export async function tcpClient(port: number, host = '127.0.0.1'): Promise<{ sock: Socket; received: () => string; closed: () => boolean }> {
  const sock = connect({ port, host, noDelay: true });
  let data = '';
  let closed = false;
  sock.on('data', (c: Buffer) => (data += c.toString('latin1')));
  sock.on('error', () => {});
  sock.on('close', () => (closed = true));
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  return { sock, received: () => data, closed: () => closed };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
