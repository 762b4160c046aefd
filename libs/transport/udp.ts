// One UDP listen socket: one datagram is one message. Sends go out from the
// same socket so the peer sees the advertised/bound port as our source.
// Two implementations behind one interface (UdpEndpoint): node:dgram here,
// and the batched one (udp-batched.ts, recvmmsg/sendmmsg through the native
// addon); bindUdp picks by transport.udp.io.
import { createSocket, type RemoteInfo as DgramRemote, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { UdpOptions } from './config.ts';
import { familyOf, listenSocketInfo } from './config.ts';
import type { EndpointContext } from './context.ts';
import type { Family, ListenConfig, ListenSocketInfo } from './types.ts';
import { nativeUdp, nativeUdpLoadError } from './native.ts';
import { isKeepAlive } from './udp-common.ts';
import { BatchedUdp } from './udp-batched.ts';

/** Which I/O path a UDP socket uses: node:dgram, or recvmmsg/sendmmsg batches through the addon. */
export type UdpIo = 'dgram' | 'batched';

/** What the layer needs of a UDP listen socket, whichever implementation. */
export interface UdpEndpoint {
  readonly info: ListenSocketInfo;
  readonly io: UdpIo;
  send(data: Buffer, port: number, host: string): void;
  close(): Promise<void>;
}

/**
 * Binds one UDP listen entry with the configured I/O: `batched` needs the
 * addon (an error otherwise), `auto` takes it when it loaded. The addon is
 * IPv4 only: IPv6 sockets use node:dgram whatever the setting.
 */
export function bindUdp(cfg: ListenConfig, opts: UdpOptions, ctx: EndpointContext): Promise<UdpEndpoint> {
  const io = opts.io ?? 'auto';
  if (io === 'dgram' || familyOf(cfg.host) !== 'IPv4') return DgramUdp.bind(cfg, opts, ctx);
  if (nativeUdp !== undefined) return BatchedUdp.bind(nativeUdp, cfg, opts, ctx);
  if (io === 'batched') return Promise.reject(new Error(`transport.udp.io is batched but ${nativeUdpLoadError} (or set sip.udp.io: auto)`));
  return DgramUdp.bind(cfg, opts, ctx);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * dgram resolves the destination of every send(), and dns.lookup answers
 * even an IP literal on process.nextTick: one tick, one closure and a
 * deferred send per datagram. Our targets are IP literals (Via, Route,
 * dispatcher), so answer those at once; names still go to dns.lookup.
 */
export function lookupLiteralFirst(host: string, options: LookupOneOptions | number, callback: LookupCallback): void {
  const family = isIP(host);
  if (family !== 0) {
    callback(null, host, family);
    return;
  }
  dnsLookup(host, typeof options === 'number' ? { family: options } : options, callback);
}

export class DgramUdp implements UdpEndpoint {
  readonly info: ListenSocketInfo;
  readonly io = 'dgram';
  readonly #socket: Socket;
  readonly #ctx: EndpointContext;
  readonly #onSent: (err: Error | null) => void;

  private constructor(socket: Socket, info: ListenSocketInfo, ctx: EndpointContext) {
    this.#socket = socket;
    this.info = info;
    this.#ctx = ctx;
    // one callback for every send: no closure per datagram
    this.#onSent = (err) => {
      if (err === null || err === undefined) return;
      ctx.countError('udp', 'send_failed');
      ctx.peerLog('warn', 'udp_send', { err, socket: info.id }, 'UDP send failed');
    };
  }

  static bind(cfg: ListenConfig, opts: UdpOptions, ctx: EndpointContext): Promise<DgramUdp> {
    const family = familyOf(cfg.host) as Family;
    const socket = createSocket({
      type: family === 'IPv6' ? 'udp6' : 'udp4',
      // keep families apart: an IPv6 wildcard must not also receive IPv4-mapped traffic
      ipv6Only: family === 'IPv6',
      lookup: lookupLiteralFirst,
      ...(opts.recvBufferSize !== undefined ? { recvBufferSize: opts.recvBufferSize } : {}),
      ...(opts.sendBufferSize !== undefined ? { sendBufferSize: opts.sendBufferSize } : {}),
    });
    return new Promise((resolve, reject) => {
      const onBindError = (err: Error): void => {
        socket.close();
        reject(new Error(`cannot bind udp ${cfg.host}:${cfg.port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onBindError);
      socket.bind(cfg.port, cfg.host, () => {
        socket.off('error', onBindError);
        const port = socket.address().port;
        const info = listenSocketInfo('udp', cfg, family, port);
        const ep = new DgramUdp(socket, info, ctx);
        socket.on('message', (data, rinfo) => ep.#onMessage(data, rinfo));
        // ICMP errors and the like: count and carry on, never crash
        socket.on('error', (err) => {
          ctx.countError('udp', 'socket_error');
          ctx.peerLog('warn', 'udp_socket', { err, socket: info.id }, 'UDP socket error');
        });
        resolve(ep);
      });
    });
  }

  #onMessage(data: Buffer, rinfo: DgramRemote): void {
    if (isKeepAlive(data)) return;
    this.#ctx.metrics.in.udp.inc();
    this.#ctx.deliver({
      data,
      remote: { proto: 'udp', address: rinfo.address, port: rinfo.port, family: rinfo.family as Family },
      local: this.info,
    });
  }

  send(data: Buffer, port: number, host: string): void {
    this.#ctx.metrics.out.udp.inc();
    try {
      this.#socket.send(data, port, host, this.#onSent);
    } catch (err) {
      // synchronous throws: bad port, socket already closed
      this.#onSent(err as Error);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}
