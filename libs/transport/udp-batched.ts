// The batched UDP socket (IPv4, Linux): the addon (native/sbc_udp.c) drains
// the socket with recvmmsg, up to 64 datagrams per syscall, copies them into
// one Buffer per batch and calls onBatch once per datagram (each call its own
// callback scope: microtasks run between messages, as with dgram, so one
// message's handler chain completes before the next message is seen). Sends
// are queued in the addon and leave with one sendmmsg per event-loop turn,
// from one setImmediate (the check phase runs right after the poll phase that
// delivered the batch). One FIFO per socket: datagrams to a destination leave
// in the order they were sent.
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { listenSocketInfo, type UdpOptions } from './config.ts';
import type { EndpointContext } from './context.ts';
import type { NativeUdp, NativeUdpSocket } from './native.ts';
import type { ListenConfig, ListenSocketInfo } from './types.ts';
import { isKeepAlive } from './udp-common.ts';
import type { UdpEndpoint } from './udp.ts';

/** Source addresses as strings, by their 32 bits: one string per peer, not one per datagram. */
const ADDRESS_CACHE_MAX = 4096;

function ipv4ToInt(host: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 46 /* . */) {
      n = n * 256 + part;
      part = 0;
    } else {
      part = part * 10 + (c - 48);
    }
  }
  return n * 256 + part;
}

export class BatchedUdp implements UdpEndpoint {
  readonly info: ListenSocketInfo;
  readonly io = 'batched';
  readonly #sock: NativeUdpSocket;
  readonly #ctx: EndpointContext;
  readonly #meta: Int32Array;
  readonly #batch: number;
  readonly #addresses = new Map<number, string>();
  /** IPv4 literal -> 32 bits, for the send path */
  readonly #targets = new Map<string, number>();
  #flushScheduled = false;
  #closed = false;
  readonly #flushSoon = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  private constructor(addon: NativeUdp, cfg: ListenConfig, opts: UdpOptions, ctx: EndpointContext) {
    this.#ctx = ctx;
    this.#batch = addon.BATCH;
    this.#sock = new addon.Socket(cfg.host, cfg.port, opts.recvBufferSize ?? 0, opts.sendBufferSize ?? 0, (n, buf) => this.#onBatch(n, buf));
    this.#meta = this.#sock.meta();
    this.info = listenSocketInfo('udp', cfg, 'IPv4', this.#sock.port() ?? cfg.port);
  }

  static bind(addon: NativeUdp, cfg: ListenConfig, opts: UdpOptions, ctx: EndpointContext): Promise<BatchedUdp> {
    try {
      return Promise.resolve(new BatchedUdp(addon, cfg, opts, ctx));
    } catch (err) {
      return Promise.reject(new Error(`cannot bind udp ${cfg.host}:${cfg.port}: ${(err as Error).message}`, { cause: err }));
    }
  }

  /** [SO_RCVBUF, SO_SNDBUF] as the kernel set them (it doubles what was asked, capped by net.core.*mem_max) */
  bufferSizes(): [number, number] {
    return this.#sock.bufferSizes();
  }

  #onBatch(n: number, buf: Buffer): void {
    if (n < 0) {
      // ICMP errors and the like: count and carry on, never crash
      this.#ctx.countError('udp', 'socket_error');
      this.#ctx.peerLog('warn', 'udp_socket', { err: `errno ${-n}`, socket: this.info.id }, 'UDP socket error');
      return;
    }
    const meta = this.#meta;
    const B = this.#batch;
    for (let i = 0; i < n; i++) {
      const off = meta[i];
      const len = meta[B + i];
      // each message its own view of the batch's buffer (copied out of the receive area by the addon)
      const data = buf.subarray(off, off + len);
      if (len <= 4 && isKeepAlive(data)) continue;
      this.#ctx.metrics.in.udp.inc();
      this.#ctx.deliver({
        data,
        remote: { proto: 'udp', address: this.#address(meta[3 * B + i] >>> 0), port: meta[2 * B + i], family: 'IPv4' },
        local: this.info,
      });
    }
  }

  #address(bits: number): string {
    let a = this.#addresses.get(bits);
    if (a === undefined) {
      if (this.#addresses.size >= ADDRESS_CACHE_MAX) this.#addresses.clear();
      a = `${bits >>> 24}.${(bits >>> 16) & 255}.${(bits >>> 8) & 255}.${bits & 255}`;
      this.#addresses.set(bits, a);
    }
    return a;
  }

  send(data: Buffer, port: number, host: string): void {
    this.#ctx.metrics.out.udp.inc();
    let addr = this.#targets.get(host);
    if (addr === undefined) {
      const v = isIP(host);
      if (v === 0) return this.#sendToName(data, port, host);
      if (v === 6) return this.#failed(1, 'an IPv4 socket cannot send to an IPv6 address');
      if (this.#targets.size >= ADDRESS_CACHE_MAX) this.#targets.clear();
      addr = ipv4ToInt(host);
      this.#targets.set(host, addr);
    }
    this.#queue(data, port, addr);
  }

  #queue(data: Buffer, port: number, addr: number): void {
    if (this.#closed) return this.#failed(1, 'socket is closed');
    if (!Number.isInteger(port) || port <= 0 || port > 65535) return this.#failed(1, `bad port ${port}`);
    if (!this.#sock.queue(data, port, addr)) return this.#failed(1, this.#sock.lastError() ?? 'send queue full');
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushSoon);
    }
  }

  /** Names are rare (targets are IP literals): resolve, then queue behind what was sent meanwhile. */
  #sendToName(data: Buffer, port: number, host: string): void {
    dnsLookup(host, { family: 4 }, (err, address) => {
      if (err) return this.#failed(1, err.message);
      this.#queue(data, port, ipv4ToInt(address));
    });
  }

  #flush(): void {
    if (this.#closed) return;
    const failed = this.#sock.flush();
    if (failed > 0) this.#failed(failed, this.#sock.lastError() ?? 'send failed');
  }

  #failed(count: number, why: string): void {
    for (let i = 0; i < count; i++) this.#ctx.countError('udp', 'send_failed');
    this.#ctx.peerLog('warn', 'udp_send', { err: why, dropped: count, socket: this.info.id }, 'UDP send failed');
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#sock.close(resolve));
  }
}
