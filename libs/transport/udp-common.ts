// What both UDP implementations (udp.ts: node:dgram, udp-batched.ts: the addon) share.

/** A datagram of only CR/LF (or empty) is a NAT keep-alive, not a message: never handed up. */
export function isKeepAlive(buf: Buffer): boolean {
  if (buf.length > 4) return false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== 13 && c !== 10) return false;
  }
  return true;
}
