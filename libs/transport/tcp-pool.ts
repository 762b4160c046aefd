// TCP servers and every TCP connection of the node, in both directions, in
// one table keyed by the peer's "address:port". That single table gives the
// RFC 3261 §18 reuse rules: a response goes back on the connection its
// request came in on, and a request to host:port reuses any open connection
// to it, whoever opened it.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { ParseLimits } from '#libs/sip';
import type { TcpOptions } from './config.ts';
import { familyOf, listenSocketInfo, stripBrackets } from './config.ts';
import type { EndpointContext } from './context.ts';
import { remoteInfo, TcpConnection, type ConnectionOwner } from './tcp-connection.ts';
import { TransportError, type Family, type ListenConfig, type ListenSocketInfo } from './types.ts';

export function connectionKey(host: string, port: number): string {
  return `${stripBrackets(host)}:${port}`;
}

export class TcpPool implements ConnectionOwner {
  readonly #ctx: EndpointContext;
  readonly #opts: Readonly<TcpOptions>;
  readonly #limits: ParseLimits;
  readonly #servers: Server[] = [];
  readonly #byKey = new Map<string, TcpConnection>();
  readonly #all = new Set<TcpConnection>();
  readonly #perIp = new Map<string, number>();
  /** inbound connections that have not yet delivered a message that parsed, oldest first (a Set keeps insertion order) */
  readonly #unproven = new Set<TcpConnection>();
  #inbound = 0;
  #outbound = 0;
  #closing = false;
  #nextId = 1;

  constructor(ctx: EndpointContext, opts: Readonly<TcpOptions>, limits: ParseLimits) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#limits = limits;
  }

  get size(): number {
    return this.#all.size;
  }

  /** Open connections (for admin/debug views and tests). */
  connections(): readonly TcpConnection[] {
    return [...this.#all];
  }

  listen(cfg: ListenConfig): Promise<ListenSocketInfo> {
    const family = familyOf(cfg.host) as Family;
    const server = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      const onListenError = (err: Error): void => reject(new Error(`cannot listen tcp ${cfg.host}:${cfg.port}: ${err.message}`, { cause: err }));
      server.once('error', onListenError);
      server.listen({ port: cfg.port, host: cfg.host, ipv6Only: family === 'IPv6' }, () => {
        server.off('error', onListenError);
        const addr = server.address();
        const port = typeof addr === 'object' && addr !== null ? addr.port : cfg.port;
        const info = listenSocketInfo('tcp', cfg, family, port);
        server.on('connection', (socket) => this.#accept(socket, info));
        server.on('error', (err) => {
          this.#ctx.countError('tcp', 'socket_error');
          this.#ctx.peerLog('warn', 'tcp_server', { err, socket: info.id }, 'TCP server error');
        });
        this.#servers.push(server);
        resolve(info);
      });
    });
  }

  /** The open (or opening) connection to host:port, if any; `local` restricts it to one listen socket. */
  find(host: string, port: number, local?: ListenSocketInfo): TcpConnection | undefined {
    const c = this.#byKey.get(connectionKey(host, port));
    if (c === undefined || !c.usable) return undefined;
    if (local !== undefined && c.local.id !== local.id) return undefined;
    return c;
  }

  /** Send over an existing connection to host:port, or open one from `local`. */
  send(host: string, port: number, data: Buffer, local: ListenSocketInfo, forceLocal: boolean): Promise<void> {
    let conn = this.find(host, port, forceLocal ? local : undefined);
    if (conn === undefined) {
      if (this.#closing) return Promise.reject(new TransportError('closed', 'transport is closed'));
      if (this.#outbound >= this.#opts.maxOutboundConnections) {
        this.#ctx.countError('tcp', 'connection_limit');
        return Promise.reject(new TransportError('connection_limit', `TCP outbound connection limit reached (sip.tcp.maxOutboundConnections=${this.#opts.maxOutboundConnections})`));
      }
      conn = this.#connect(host, port, local);
    }
    this.#ctx.metrics.out.tcp.inc();
    const target = conn;
    return conn.write(data).catch((err: unknown) => {
      // a failed connect was counted by the connection already
      const code = target.closeReason === 'connect_failed' ? 'connect_failed' : 'send_failed';
      if (code === 'send_failed') this.#ctx.countError('tcp', 'send_failed');
      throw new TransportError(code, `TCP send to ${connectionKey(host, port)} failed: ${(err as Error).message}`, { cause: err });
    });
  }

  #connect(host: string, port: number, local: ListenSocketInfo): TcpConnection {
    const h = stripBrackets(host);
    const wildcard = local.host === '0.0.0.0' || local.host === '::' || local.host === '::0';
    // bind to the listen address (ephemeral port) so the peer sees the node's own address family and IP
    const socket = connect({ host: h, port, ...(wildcard ? {} : { localAddress: local.host }), family: local.family === 'IPv6' ? 6 : 4 });
    const conn = new TcpConnection({
      id: this.#nextId++,
      socket,
      direction: 'out',
      key: connectionKey(h, port),
      remote: remoteInfo(h, port, familyOf(h) ?? local.family),
      local,
      ctx: this.#ctx,
      opts: this.#opts,
      limits: this.#limits,
      owner: this,
    });
    this.#add(conn);
    return conn;
  }

  #accept(socket: Socket, local: ListenSocketInfo): void {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (address === undefined || port === undefined || this.#closing) {
      socket.destroy(); // already gone
      return;
    }
    const remote = remoteInfo(address, port, socket.remoteFamily === 'IPv6' ? 'IPv6' : 'IPv4');
    if (!this.#ctx.admit(remote)) {
      // a banned source: closed before any byte is read
      this.#refuse(socket, 'banned');
      return;
    }
    const fromIp = this.#perIp.get(address) ?? 0;
    if (fromIp >= this.#opts.maxConnectionsPerIp) {
      this.#refuse(socket, 'connection_limit');
      this.#ctx.peerLog('warn', 'tcp_limit_ip', { src: address, srcPort: port, socket: local.id, fromIp }, 'TCP connection refused: per-address limit reached');
      return;
    }
    // at the limit, the oldest connection that never delivered a valid message makes room;
    // only when every one has proven itself is the newcomer refused
    if (this.#inbound >= this.#opts.maxConnections && !this.#evictOldestUnproven()) {
      this.#refuse(socket, 'connection_limit');
      this.#ctx.peerLog('warn', 'tcp_limit', { src: address, srcPort: port, socket: local.id }, 'TCP connection refused: limit reached');
      return;
    }
    const conn = new TcpConnection({
      id: this.#nextId++,
      socket,
      direction: 'in',
      key: connectionKey(address, port),
      remote,
      local,
      ctx: this.#ctx,
      opts: this.#opts,
      limits: this.#limits,
      owner: this,
    });
    this.#add(conn);
  }

  #refuse(socket: Socket, reason: 'banned' | 'connection_limit'): void {
    socket.on('error', () => {}); // it is being destroyed; a late reset must not surface as unhandled
    socket.destroy();
    this.#ctx.countError('tcp', reason);
  }

  /** Closes the oldest inbound connection that never delivered a valid message; false when there is none. */
  #evictOldestUnproven(): boolean {
    for (const c of this.#unproven) {
      this.#unproven.delete(c);
      this.#ctx.countError('tcp', 'evicted');
      this.#ctx.peerLog('info', 'tcp_evicted', { conn: c.id, src: c.remote.address, srcPort: c.remote.port }, 'TCP connection that never sent a valid message closed to admit a new one');
      c.close('evicted');
      // counted free now: its 'close' event comes later
      this.#inbound--;
      c.uncounted = true;
      return true;
    }
    return false;
  }

  onProven(conn: TcpConnection): void {
    this.#unproven.delete(conn);
  }

  #add(conn: TcpConnection): void {
    this.#all.add(conn);
    // newest wins: an older connection to the same key keeps working until it closes
    this.#byKey.set(conn.key, conn);
    if (conn.direction === 'in') {
      this.#inbound++;
      this.#unproven.add(conn);
      this.#perIp.set(conn.remote.address, (this.#perIp.get(conn.remote.address) ?? 0) + 1);
    } else this.#outbound++;
    this.#ctx.metrics.tcpConnections.inc();
  }

  onClosed(conn: TcpConnection): void {
    if (!this.#all.delete(conn)) return;
    if (this.#byKey.get(conn.key) === conn) this.#byKey.delete(conn.key);
    if (conn.direction === 'out') this.#outbound--;
    if (conn.direction === 'in') {
      this.#unproven.delete(conn);
      if (!conn.uncounted) this.#inbound--;
      const n = (this.#perIp.get(conn.remote.address) ?? 1) - 1;
      if (n <= 0) this.#perIp.delete(conn.remote.address);
      else this.#perIp.set(conn.remote.address, n);
    }
    this.#ctx.metrics.tcpConnections.dec();
  }

  /** Stop accepting, close every connection, wait until the servers are closed. */
  async close(): Promise<void> {
    this.#closing = true;
    const closed = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of [...this.#all]) c.close('shutdown');
    await Promise.all(closed);
    this.#servers.length = 0;
  }
}
