// libs/transport: UDP and TCP sockets to and from SIP message bytes. The
// protocol core codes against `Transport` (types.ts) and never sees a socket.
//
//   TransportLayer.start(opts)   bind every listen entry; layer.send(target, data, via?); layer.onMessage(h); layer.close()
//   layer.sockets / socket(id)   ListenSocketInfo with the advertised address for Via / Record-Route / Contact
//   layer.selectSocket(target)   the outbound socket for a target (same proto and family, or the forced one)
//   resolveTransportConfig       validate a config once (lists every problem), defaults in DEFAULT_TCP_OPTIONS
//   formatHostPort / socketId    "[::1]:5060" / "udp:[::1]:5060" formatting
//   TRANSPORT_METRICS            metric names: sbc_transport_messages_total, _tcp_connections, _errors_total, _udp_io
//   layer.udpIo(id)              'batched' (recvmmsg/sendmmsg, native/) or 'dgram' per UDP socket (transport.udp.io)
export { TransportLayer } from './layer.ts';
export type { TransportLayerOptions } from './layer.ts';
export { resolveTransportConfig, DEFAULT_TCP_OPTIONS, formatHostPort, socketId, stripBrackets, familyOf } from './config.ts';
export type { TransportConfig, ResolvedTransportConfig, TcpOptions, UdpOptions, UdpIoSetting } from './config.ts';
export { UDP_IO_SETTINGS } from './config.ts';
export type { UdpIo } from './udp.ts';
export { nativeUdp, nativeUdpLoadError } from './native.ts';
export { TRANSPORT_METRICS } from './metrics.ts';
export type { TransportErrorReason } from './metrics.ts';
/** per-message counter increments batched until the scrape (prom-client hashes labels on every inc) */
export { batchedChild } from './batched-counter.ts';
export type { TcpConnection, CloseReason, ConnectionState, ConnectionDirection } from './tcp-connection.ts';
export { TransportError } from './types.ts';
export type {
  Transport,
  TransportErrorCode,
  InboundHandler,
  InboundMessage,
  ListenConfig,
  ListenSocketInfo,
  RemoteInfo,
  SendTarget,
  SocketId,
  Proto,
  Family,
} from './types.ts';
