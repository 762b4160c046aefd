// libs/bus public surface: cluster news over NATS (or in memory for a single
// node). Redis is the source of truth; the bus only says "this changed".
// Subjects (built only in subjects.ts):
//   sbc.<cluster>.config.<kind>  sbc.<cluster>.gateway.state
//   sbc.<cluster>.ban            sbc.<cluster>.table.<name>
// Metric: sbc_bus_messages_total{subject_kind,direction}. See docs/cluster.md.
export type { Bus, BusStatus, Handler, Unsubscribe } from './types.ts';
export type {
  BusMessage,
  Outgoing,
  MessageType,
  PayloadByType,
  TypesByKind,
  ConfigChangedPayload,
  GatewayStatePayload,
  GatewayState,
  GatewayLatency,
  TableSetPayload,
  TableDeletePayload,
  DecodeResult,
} from './messages.ts';
export { MESSAGE_VERSION, encode, decode } from './messages.ts';
export type { Channel, ChannelKind, Selector } from './subjects.ts';
export { subjectFor, subjectPattern, clusterWildcard, parseSubject, subjectMatches, assertToken } from './subjects.ts';
export { BusError, type BusErrorCode } from './errors.ts';
export { BUS_METRIC_NAMES, type Direction } from './metrics.ts';
export { createMemoryBus, MemoryHub, type MemoryBusOptions } from './memory-bus.ts';
export { createNatsBus, NATS_BUS_DEFAULTS, type NatsBusOptions } from './nats-bus.ts';
