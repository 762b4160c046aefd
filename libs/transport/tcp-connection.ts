// One TCP connection, either direction: reassembles messages by
// Content-Length (libs/sip frameStream), answers CRLF keep-alive pings,
// enforces the read and write caps and the idle timeout.
import type { Socket } from 'node:net';
import { frameStream } from '#libs/sip';
import type { ParseLimits } from '#libs/sip';
import type { TcpOptions } from './config.ts';
import type { EndpointContext } from './context.ts';
import { StreamBuffer } from './stream-buffer.ts';
import type { Family, ListenSocketInfo, RemoteInfo } from './types.ts';

const PONG = Buffer.from('\r\n');

export type ConnectionState = 'connecting' | 'open' | 'closed';
export type ConnectionDirection = 'in' | 'out';

/** Why a connection ended (for logs and tests). */
export type CloseReason = 'peer' | 'idle' | 'framing' | 'buffer_overflow' | 'write_overflow' | 'error' | 'connect_failed' | 'shutdown' | 'first_message_timeout' | 'evicted';

export interface ConnectionOwner {
  onClosed(conn: TcpConnection): void;
  /** the connection delivered a message that parsed: no longer a candidate for eviction */
  onProven(conn: TcpConnection): void;
}

export class TcpConnection {
  /** per-node connection number, for logs */
  readonly id: number;
  readonly direction: ConnectionDirection;
  /** map key: "address:port" of the peer (as connected to, or as seen on accept) */
  readonly key: string;
  readonly remote: RemoteInfo;
  readonly local: ListenSocketInfo;
  state: ConnectionState;
  closeReason: CloseReason | undefined;
  /** the owner already stopped counting it (evicted at the limit) */
  uncounted = false;
  /** delivered a message that parsed as SIP */
  proven = false;
  readonly #socket: Socket;
  readonly #ctx: EndpointContext;
  readonly #opts: Readonly<TcpOptions>;
  readonly #limits: ParseLimits;
  readonly #owner: ConnectionOwner;
  readonly #buf = new StreamBuffer();
  #connectTimer: NodeJS.Timeout | undefined;
  /** inbound: closes the connection unless a complete message arrives first */
  #firstMessageTimer: NodeJS.Timeout | undefined;
  /** bytes at the start of the buffer already searched for the end of the header block (the framer resumes there) */
  #scanned = 0;
  /** the proven callback handed with each message (one closure per connection, not per message) */
  readonly #proven = (): void => {
    if (this.proven) return;
    this.proven = true;
    this.#owner.onProven(this);
  };

  constructor(args: {
    id: number;
    socket: Socket;
    direction: ConnectionDirection;
    key: string;
    remote: RemoteInfo;
    local: ListenSocketInfo;
    ctx: EndpointContext;
    opts: Readonly<TcpOptions>;
    limits: ParseLimits;
    owner: ConnectionOwner;
  }) {
    this.id = args.id;
    this.#socket = args.socket;
    this.direction = args.direction;
    this.key = args.key;
    this.remote = args.remote;
    this.local = args.local;
    this.#ctx = args.ctx;
    this.#opts = args.opts;
    this.#limits = args.limits;
    this.#owner = args.owner;
    this.state = args.direction === 'in' ? 'open' : 'connecting';

    const s = this.#socket;
    s.setNoDelay(true);
    s.setTimeout(this.#opts.idleTimeoutMs);
    s.on('data', (chunk: Buffer) => this.#onData(chunk));
    s.on('timeout', () => this.close('idle'));
    s.on('error', (err) => this.#onError(err));
    s.on('close', () => this.#onClose());
    if (this.direction === 'in') {
      this.#firstMessageTimer = setTimeout(() => {
        this.#ctx.countError('tcp', 'first_message_timeout');
        this.#ctx.peerLog('info', 'tcp_first_message', this.#logFields(), 'TCP connection closed: no complete message within sip.tcp.firstMessageTimeoutMs');
        this.close('first_message_timeout');
      }, this.#opts.firstMessageTimeoutMs);
      this.#firstMessageTimer.unref();
    }
    if (this.state === 'connecting') {
      this.#connectTimer = setTimeout(() => this.#fail(new Error('connect timeout')), this.#opts.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(this.#connectTimer);
        this.#connectTimer = undefined;
        // writes queued while connecting flush by themselves
        if (this.state === 'connecting') this.state = 'open';
      });
    }
  }

  /** false once closing has begun (the socket may still be winding down) */
  get usable(): boolean {
    return this.state !== 'closed' && this.closeReason === undefined;
  }

  /** Queue bytes; resolves when handed to the OS, rejects if the connection fails first. */
  write(data: Buffer): Promise<void> {
    if (!this.usable) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      this.#socket.write(data, (err) => (err ? reject(err) : resolve()));
      // a peer that does not read must not make us buffer without bound
      if (this.#socket.writableLength > this.#opts.maxWriteBufferBytes) {
        this.#ctx.countError('tcp', 'write_overflow');
        this.#ctx.peerLog('warn', 'tcp_write_overflow', this.#logFields(), 'TCP peer not reading: connection closed');
        this.close('write_overflow');
        // settles first: the bytes of this write did not all reach the OS
        reject(new Error('peer is not reading: write queue above transport.tcp.maxWriteBufferBytes'));
      }
    });
  }

  close(reason: CloseReason): void {
    if (this.state === 'closed') return;
    this.closeReason ??= reason;
    // Destroying with an error fails writes queued while connecting (a plain
    // destroy would report them as sent). 'close' follows; bookkeeping happens there once.
    this.#socket.destroy(this.state === 'connecting' ? new Error(`connection closed before connect (${reason})`) : undefined);
  }

  #onData(chunk: Buffer): void {
    // a socket handler: nothing may escape
    try {
      this.#frame(chunk);
    } catch (err) {
      this.#ctx.countError('tcp', 'framing');
      this.#ctx.peerLog('warn', 'tcp_framing', { ...this.#logFields(), err }, 'TCP framing failed: connection closed');
      this.close('framing');
    }
  }

  #frame(chunk: Buffer): void {
    const buf = this.#buf;
    buf.append(chunk);
    while (buf.length > 0 && this.usable) {
      const view = buf.view();
      const r = frameStream(view, this.#limits, this.#scanned);
      if (r.kind === 'message') {
        const data = view.subarray(0, r.length);
        buf.consume(r.length);
        this.#scanned = 0;
        if (this.#firstMessageTimer !== undefined) {
          clearTimeout(this.#firstMessageTimer);
          this.#firstMessageTimer = undefined;
        }
        this.#ctx.metrics.in.tcp.inc();
        this.#ctx.deliver({ data, remote: this.remote, local: this.local, proven: this.#proven });
      } else if (r.kind === 'keepalive') {
        buf.consume(r.length);
        this.#scanned = 0;
        // "\r\n\r\n" is a ping (RFC 5626 §3.5.1): answer with a pong; a bare "\r\n" is a pong: ignore
        if (r.length >= 4) this.#socket.write(PONG);
      } else if (r.kind === 'need-more') {
        // the next chunk resumes the search for the empty line where this one stopped
        this.#scanned = r.scanned;
        if (buf.length > this.#opts.maxBufferBytes) this.#reject('buffer_overflow', 'TCP peer exceeded the buffer cap without completing a message');
        return;
      } else {
        this.#reject('framing', `TCP framing error (${r.code}): connection closed`);
        return;
      }
    }
  }

  #reject(reason: 'framing' | 'buffer_overflow', msg: string): void {
    this.#ctx.countError('tcp', reason);
    this.#ctx.peerLog('warn', `tcp_${reason}`, { ...this.#logFields(), buffered: this.#buf.length }, msg);
    this.#buf.clear();
    this.close(reason);
  }

  #onError(err: Error): void {
    if (this.state === 'connecting') {
      if (this.closeReason === undefined) this.#fail(err); // else: we closed it ourselves
      return;
    }
    // resets and the like from the peer: counted, logged at debug, then 'close' follows
    this.closeReason ??= 'error';
    this.#ctx.countError('tcp', 'socket_error');
    this.#ctx.peerLog('debug', 'tcp_socket', { ...this.#logFields(), err: err.message }, 'TCP socket error');
  }

  /** Connect failed or timed out: counted once; destroying with the error fails queued writes. */
  #fail(err: Error): void {
    if (this.state === 'closed' || this.closeReason !== undefined) return;
    this.closeReason = 'connect_failed';
    this.#ctx.countError('tcp', 'connect_failed');
    this.#ctx.peerLog('warn', 'tcp_connect', { ...this.#logFields(), err: err.message }, 'TCP connect failed');
    if (!this.#socket.destroyed) this.#socket.destroy(err);
  }

  #onClose(): void {
    if (this.state === 'closed') return;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#firstMessageTimer);
    this.state = 'closed';
    this.closeReason ??= 'peer';
    this.#buf.clear();
    this.#owner.onClosed(this);
  }

  #logFields(): Record<string, unknown> {
    return { conn: this.id, dir: this.direction, src: this.remote.address, srcPort: this.remote.port, socket: this.local.id };
  }
}

export function remoteInfo(address: string, port: number, family: Family): RemoteInfo {
  return Object.freeze({ proto: 'tcp', address, port, family });
}
