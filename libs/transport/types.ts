// The shapes the protocol core sees. It never touches a socket: it receives
// InboundMessage values through one handler and hands bytes to Transport.send.

export type Proto = 'udp' | 'tcp';
export type Family = 'IPv4' | 'IPv6';

/**
 * Names a listen socket, Kamailio-style: "udp:127.0.0.1:5060", "tcp:[::1]:5060".
 * Dispatcher `socket=` attributes and send hints use the same form.
 */
export type SocketId = string;

/** One listen entry of the node's config. */
export interface ListenConfig {
  proto: Proto;
  /** IP literal to bind (IPv4 or IPv6, without brackets). A wildcard (0.0.0.0, ::) needs `advertise.host`. */
  host: string;
  /** 0 binds an ephemeral port; the real one is reported in ListenSocketInfo. */
  port: number;
  /** what peers must use to reach this socket (a load balancer, a Service): never a pod IP. */
  advertise?: { host: string; port?: number };
}

/** A bound listen socket, as the proxy needs it for Via / Record-Route / Contact. */
export interface ListenSocketInfo {
  readonly id: SocketId;
  readonly proto: Proto;
  readonly family: Family;
  /** bound address (no brackets) */
  readonly host: string;
  /** bound port (the real one when configured 0) */
  readonly port: number;
  /** address peers must use; host without brackets */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

export interface RemoteInfo {
  readonly proto: Proto;
  /** source IP (no brackets) */
  readonly address: string;
  readonly port: number;
  readonly family: Family;
}

/** One received SIP message (one datagram, or one framed message of a stream). */
export interface InboundMessage {
  readonly data: Buffer;
  readonly remote: RemoteInfo;
  readonly local: ListenSocketInfo;
  /**
   * Stream transports: the handler calls it once the message parsed as SIP,
   * so the connection counts as proven (no first-message deadline, never
   * evicted for a newcomer at the connection limit).
   */
  readonly proven?: () => void;
}

/** Where to send: for TCP an open connection to host:port (either direction) is reused. */
export interface SendTarget {
  proto: Proto;
  /** IP literal (IPv6 with or without brackets); a name is resolved by the OS resolver */
  host: string;
  port: number;
}

/** The one inbound listener. A thrown error or rejected promise is caught and counted, never fatal. */
export type InboundHandler = (msg: InboundMessage) => void | Promise<void>;

/**
 * What the protocol core sends through. send() returns void when the bytes
 * were handed to the OS synchronously (UDP) and a promise otherwise (TCP may
 * have to connect). Failures reject with a TransportError; the returned
 * promise is already marked handled, so fire-and-forget callers never crash
 * the process on an unhandled rejection (errors are also counted and logged).
 */
export interface Transport {
  send(target: SendTarget, data: Buffer, via?: SocketId): Promise<void> | void;
  onMessage(handler: InboundHandler): void;
}

export type TransportErrorCode =
  | 'no_socket'
  | 'connect_failed'
  | 'connection_limit'
  | 'send_failed'
  | 'closed';

export class TransportError extends Error {
  readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportError';
    this.code = code;
  }
}
