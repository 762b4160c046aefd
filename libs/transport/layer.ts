// The node's sockets: every listen entry of the config bound at start, one
// inbound handler, and send() choosing the outbound socket by protocol and
// address family (or a forced socket, e.g. a dispatcher `socket=` attribute).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ParseLimits } from '#libs/sip';
import { DEFAULT_PARSE_LIMITS } from '#libs/sip';
import type { LogRateLimit } from '#libs/rejections';
import { familyOf, resolveTransportConfig, stripBrackets, type ResolvedTransportConfig, type TransportConfig } from './config.ts';
import { EndpointContext } from './context.ts';
import { TransportMetrics } from './metrics.ts';
import { TcpPool } from './tcp-pool.ts';
import type { TcpConnection } from './tcp-connection.ts';
import { bindUdp, type UdpEndpoint, type UdpIo } from './udp.ts';
import { nativeUdpLoadError } from './native.ts';
import {
  TransportError,
  type InboundHandler,
  type InboundMessage,
  type ListenSocketInfo,
  type Proto,
  type RemoteInfo,
  type SendTarget,
  type SocketId,
  type Transport,
} from './types.ts';

export interface TransportLayerOptions {
  config: TransportConfig;
  logger: Logger;
  registry: Registry;
  /** parser limits used by the TCP framer (defaults: libs/sip DEFAULT_PARSE_LIMITS) */
  limits?: Partial<ParseLimits>;
  /** rate of log lines about misbehaving peers, per event kind */
  logRate?: LogRateLimit;
  handler?: InboundHandler;
}

type LayerState = 'open' | 'closing' | 'closed';

function noop(): void {}

/** A rejected promise already marked handled: awaiting callers see the error, others never crash on it. */
function failed(err: TransportError): Promise<void> {
  const p = Promise.reject(err);
  p.catch(noop);
  return p;
}

export class TransportLayer implements Transport {
  readonly config: ResolvedTransportConfig;
  readonly #ctx: EndpointContext;
  readonly #udp: UdpEndpoint[];
  readonly #udpById: Map<SocketId, UdpEndpoint>;
  readonly #tcp: TcpPool;
  readonly #sockets: readonly ListenSocketInfo[];
  readonly #byId: Map<SocketId, ListenSocketInfo>;
  #state: LayerState = 'open';
  #closing: Promise<void> | undefined;

  private constructor(
    config: ResolvedTransportConfig,
    ctx: EndpointContext,
    udp: UdpEndpoint[],
    tcp: TcpPool,
    sockets: ListenSocketInfo[],
  ) {
    this.config = config;
    this.#ctx = ctx;
    this.#udp = udp;
    this.#udpById = new Map(udp.map((u) => [u.info.id, u]));
    this.#tcp = tcp;
    this.#sockets = Object.freeze(sockets);
    this.#byId = new Map(sockets.map((s) => [s.id, s]));
  }

  /** Validate the config, bind every listen entry (all or nothing), and start delivering to the handler. */
  static async start(opts: TransportLayerOptions): Promise<TransportLayer> {
    const config = resolveTransportConfig(opts.config);
    const limits: ParseLimits = { ...DEFAULT_PARSE_LIMITS, ...(opts.limits ?? {}) };
    const ctx = new EndpointContext(new TransportMetrics(opts.registry), opts.logger, opts.logRate);
    if (opts.handler) ctx.setHandler(opts.handler);
    const tcp = new TcpPool(ctx, config.tcp, limits);
    const udp: UdpEndpoint[] = [];
    const sockets: ListenSocketInfo[] = [];
    try {
      for (const l of config.listen) {
        if (l.proto === 'udp') {
          const ep = await bindUdp(l, config.udp, ctx);
          udp.push(ep);
          ctx.metrics.udpIo(ep.info.id, ep.io);
          sockets.push(ep.info);
        } else {
          sockets.push(await tcp.listen(l));
        }
      }
    } catch (err) {
      // a half-started node must not keep ports open
      await Promise.all([...udp.map((u) => u.close()), tcp.close()]);
      throw err;
    }
    const layer = new TransportLayer(config, ctx, udp, tcp, sockets);
    const io = new Map(udp.map((u) => [u.info.id, u.io]));
    opts.logger.info({ sockets: sockets.map((s) => ({ id: s.id, advertised: `${s.advertisedHost}:${s.advertisedPort}`, ...(io.has(s.id) ? { io: io.get(s.id) } : {}) })) }, 'transport listening');
    if (udp.some((u) => u.io === 'dgram' && u.info.family === 'IPv4') && (config.udp.io ?? 'auto') === 'auto') {
      opts.logger.warn({ reason: nativeUdpLoadError }, 'batched UDP I/O unavailable: UDP uses node:dgram');
    }
    return layer;
  }

  /** Every bound listen socket, in config order. */
  get sockets(): readonly ListenSocketInfo[] {
    return this.#sockets;
  }

  socket(id: SocketId): ListenSocketInfo | undefined {
    return this.#byId.get(id);
  }

  /** The I/O path of each UDP listen socket (also the sbc_transport_udp_io metric). */
  udpIo(id: SocketId): UdpIo | undefined {
    return this.#udpById.get(id)?.io;
  }

  /** Open TCP connections, both directions. */
  get tcpConnectionCount(): number {
    return this.#tcp.size;
  }

  tcpConnections(): readonly TcpConnection[] {
    return this.#tcp.connections();
  }

  /** Who may open a TCP connection: a source refused here (banned) is closed at accept. */
  setAdmission(admit: (remote: RemoteInfo) => boolean): void {
    this.#ctx.admit = admit;
  }

  onMessage(handler: InboundHandler): void {
    this.#ctx.setHandler(handler);
  }

  /**
   * The listen socket a message to `target` leaves from: the forced one when
   * `via` names it (and can reach the target's address family), else the
   * first socket of the same protocol and address family (a name that is not
   * an IP literal is treated as IPv4 first).
   */
  selectSocket(target: SendTarget, via?: SocketId): ListenSocketInfo | undefined {
    const fam = familyOf(target.host);
    if (via !== undefined) {
      const s = this.#byId.get(via);
      if (s === undefined || s.proto !== target.proto) return undefined;
      // an IPv4 socket cannot reach an IPv6 literal (nor the reverse): the family's own socket then
      if (fam === undefined || s.family === fam) return s;
    }
    let fallback: ListenSocketInfo | undefined;
    for (const s of this.#sockets) {
      if (s.proto !== target.proto) continue;
      if (fam === undefined ? s.family === 'IPv4' : s.family === fam) return s;
      if (fam === undefined) fallback ??= s;
    }
    return fallback;
  }

  send(target: SendTarget, data: Buffer, via?: SocketId): Promise<void> | void {
    if (this.#state !== 'open') return failed(new TransportError('closed', 'transport is closed'));
    const local = this.selectSocket(target, via);
    if (local === undefined) return this.#noSocket(target.proto, target, via);
    if (target.proto === 'udp') {
      const ep = this.#udpById.get(local.id);
      if (ep === undefined) return this.#noSocket('udp', target, via);
      ep.send(data, target.port, stripBrackets(target.host));
      return;
    }
    return this.#sendTcp(target.host, target.port, data, local, via !== undefined);
  }

  /**
   * Send a response to a request received as `request` (RFC 3261 §18.2.2).
   * TCP: on the request's own connection while it is open, else to
   * `fallback`. UDP: to `fallback`, from the socket the request arrived on
   * (a NAT only lets back what comes from the address the client sent to).
   * `fallback` is libs/sip responseTarget(topVia) after stampVia.
   */
  respond(request: Pick<InboundMessage, 'remote' | 'local'>, data: Buffer, fallback: SendTarget): Promise<void> | void {
    if (this.#state !== 'open') return failed(new TransportError('closed', 'transport is closed'));
    const { remote, local } = request;
    if (remote.proto === 'tcp' && this.#tcp.find(remote.address, remote.port) !== undefined) {
      return this.#sendTcp(remote.address, remote.port, data, local, false);
    }
    const sameSocket = fallback.proto === local.proto && familyOf(fallback.host) === local.family;
    return this.send(fallback, data, sameSocket ? local.id : undefined);
  }

  #sendTcp(host: string, port: number, data: Buffer, local: ListenSocketInfo, force: boolean): Promise<void> {
    const p = this.#tcp.send(host, port, data, local, force);
    p.catch((err: unknown) => {
      this.#ctx.peerLog('warn', 'tcp_send', { err: (err as Error).message, dst: host, dstPort: port }, 'TCP send failed');
    });
    return p;
  }

  #noSocket(proto: Proto, target: SendTarget, via: SocketId | undefined): Promise<void> {
    this.#ctx.countError(proto, 'no_socket');
    const why = via !== undefined ? `socket ${via} is not a ${proto} listen socket of this node` : `no ${proto} listen socket for the address family of ${target.host}`;
    this.#ctx.peerLog('warn', 'no_socket', { dst: target.host, dstPort: target.port, via }, why);
    return failed(new TransportError('no_socket', `${why} (add one to transport.listen)`));
  }

  /** Close every socket and connection; resolves when all are closed. Idempotent. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#state = 'closing';
      this.#closing = Promise.all([...this.#udp.map((u) => u.close()), this.#tcp.close()]).then(() => {
        this.#state = 'closed';
      });
    }
    return this.#closing;
  }
}
