// Transport config: defaults, validation (every problem listed at once) and
// the naming of listen sockets.
import { isIP } from 'node:net';
import type { Family, ListenConfig, ListenSocketInfo, Proto, SocketId } from './types.ts';

export interface TcpOptions {
  /** close a connection with no traffic in either direction for this long (Kamailio tcp_connection_lifetime) */
  idleTimeoutMs: number;
  /** give up an outbound connect after this long */
  connectTimeoutMs: number;
  /** bytes a peer may send without completing a message; more and the connection is closed */
  maxBufferBytes: number;
  /** bytes queued toward a peer that does not read; more and the connection is closed */
  maxWriteBufferBytes: number;
  /** inbound connections open at once (Kamailio tcp_max_connections); at the limit the oldest never-proven one makes room */
  maxConnections: number;
  /** outbound connections open at once (toward gateways and UAs), budgeted apart so inbound floods cannot block them */
  maxOutboundConnections: number;
  /** inbound connections from one IP address */
  maxConnectionsPerIp: number;
  /** an inbound connection must deliver a complete SIP message within this long, or it is closed */
  firstMessageTimeoutMs: number;
}

export interface UdpOptions {
  /** SO_RCVBUF; undefined keeps the OS default. Raise it for high call rates (bursts are absorbed here). */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /**
   * UDP I/O: `batched` = recvmmsg/sendmmsg through the native addon (IPv4,
   * Linux; start fails without it), `dgram` = node:dgram, `auto` (default) =
   * batched when the addon loaded. IPv6 sockets always use node:dgram.
   */
  io?: UdpIoSetting;
}

export type UdpIoSetting = 'auto' | 'batched' | 'dgram';
export const UDP_IO_SETTINGS: readonly UdpIoSetting[] = ['auto', 'batched', 'dgram'];

export interface TransportConfig {
  listen: ListenConfig[];
  tcp?: Partial<TcpOptions>;
  udp?: UdpOptions;
}

export interface ResolvedTransportConfig {
  readonly listen: readonly ListenConfig[];
  readonly tcp: Readonly<TcpOptions>;
  readonly udp: Readonly<UdpOptions>;
}

export const DEFAULT_TCP_OPTIONS: Readonly<TcpOptions> = Object.freeze({
  idleTimeoutMs: 120_000,
  connectTimeoutMs: 5_000,
  // four maximum-size messages (sip.limits.maxMessageBytes = 65535): a burst of pipelined messages
  maxBufferBytes: 262_144,
  maxWriteBufferBytes: 1_048_576,
  maxConnections: 2_048,
  maxOutboundConnections: 1_024,
  maxConnectionsPerIp: 32,
  firstMessageTimeoutMs: 10_000,
});

const WILDCARDS = new Set(['0.0.0.0', '::', '::0']);

export function stripBrackets(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 91 /* [ */ && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** IPv6 literals get brackets, as in a Via sent-by, a URI host or a socket id. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function familyOf(host: string): Family | undefined {
  const v = isIP(stripBrackets(host));
  return v === 4 ? 'IPv4' : v === 6 ? 'IPv6' : undefined;
}

export function socketId(proto: Proto, host: string, port: number): SocketId {
  return `${proto}:${formatHostPort(host, port)}`;
}

/** A bound listen socket as the proxy sees it (port: the one really bound). */
export function listenSocketInfo(proto: Proto, cfg: ListenConfig, family: Family, port: number): ListenSocketInfo {
  return Object.freeze({
    id: socketId(proto, cfg.host, port),
    proto,
    family,
    host: cfg.host,
    port,
    advertisedHost: cfg.advertise?.host ?? cfg.host,
    advertisedPort: cfg.advertise?.port ?? port,
  });
}

/** Validate once at start; throws one error listing every problem and how to fix it. */
export function resolveTransportConfig(cfg: TransportConfig): ResolvedTransportConfig {
  const problems: string[] = [];
  if (!Array.isArray(cfg.listen) || cfg.listen.length === 0) problems.push('transport.listen: at least one listen entry is needed');
  const seen = new Set<string>();
  (cfg.listen ?? []).forEach((l, i) => {
    const at = `transport.listen[${i}]`;
    if (l.proto !== 'udp' && l.proto !== 'tcp') problems.push(`${at}.proto: "${String(l.proto)}" is not udp or tcp`);
    const host = stripBrackets(String(l.host));
    if (isIP(host) === 0) problems.push(`${at}.host: "${l.host}" is not an IP address (bind to an address, advertise names with advertise.host)`);
    if (!Number.isInteger(l.port) || l.port < 0 || l.port > 65535) problems.push(`${at}.port: ${l.port} is not 0-65535`);
    if (WILDCARDS.has(host) && !l.advertise?.host) {
      problems.push(`${at}: wildcard bind ${l.host} needs advertise.host (the address peers must use; never a pod IP)`);
    }
    if (l.advertise?.port !== undefined && (!Number.isInteger(l.advertise.port) || l.advertise.port < 1 || l.advertise.port > 65535)) {
      problems.push(`${at}.advertise.port: ${l.advertise.port} is not 1-65535`);
    }
    const key = `${l.proto}:${host}:${l.port}`;
    if (l.port !== 0 && seen.has(key)) problems.push(`${at}: ${key} is listed twice`);
    seen.add(key);
  });
  const tcp = { ...DEFAULT_TCP_OPTIONS, ...(cfg.tcp ?? {}) };
  for (const [k, v] of Object.entries(tcp)) {
    if (!Number.isInteger(v) || v <= 0) problems.push(`transport.tcp.${k}: ${String(v)} must be a positive integer`);
  }
  const udp = { ...(cfg.udp ?? {}) };
  for (const [k, v] of Object.entries(udp)) {
    if (k === 'io') {
      if (v !== undefined && !UDP_IO_SETTINGS.includes(v as UdpIoSetting)) problems.push(`transport.udp.io: "${String(v)}" is not ${UDP_IO_SETTINGS.join(', ')}`);
    } else if (v !== undefined && (!Number.isInteger(v) || (v as number) <= 0)) problems.push(`transport.udp.${k}: ${String(v)} must be a positive integer`);
  }
  if (problems.length > 0) throw new Error(`invalid transport config:\n  - ${problems.join('\n  - ')}`);
  const listen = cfg.listen.map((l) => Object.freeze({ ...l, host: stripBrackets(l.host) }));
  return Object.freeze({ listen: Object.freeze(listen), tcp: Object.freeze(tcp), udp: Object.freeze(udp) });
}
