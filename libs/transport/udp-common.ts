// What both UDP implementations (udp.ts: node:dgram, udp-batched.ts: the addon) share.
import { socketId } from './config.ts';
import type { Family, ListenConfig, ListenSocketInfo } from './types.ts';

/** A datagram of only CR/LF (or empty) is a NAT keep-alive, not a message: never handed up. */
export function isKeepAlive(buf: Buffer): boolean {
  if (buf.length > 4) return false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 13 && c !== 10) return false;
  }
  return true;
}

export function udpSocketInfo(cfg: ListenConfig, family: Family, port: number): ListenSocketInfo {
  return Object.freeze({
    id: socketId('udp', cfg.host, port),
    proto: 'udp',
    family,
    host: cfg.host,
    port,
    advertisedHost: cfg.advertise?.host ?? cfg.host,
    advertisedPort: cfg.advertise?.port ?? port,
  });
}
