// Typed, versioned cluster messages. Wire format (JSON):
//   { "v": 1, "type": "<type>", "node": "<sender id>", "ts": <ms epoch>, "payload": {...} }
// decode() validates the shape and never throws: anything unknown (another
// version, another type, a malformed payload) comes back as { ok: false }
// so a rolling upgrade or a stray publisher cannot crash a node.
import type { Channel, ChannelKind } from './subjects.ts';
import { parseSubject } from './subjects.ts';

export const MESSAGE_VERSION = 1;

export type GatewayState = 'active' | 'inactive' | 'disabled' | 'probing';
const GATEWAY_STATES: readonly string[] = ['active', 'inactive', 'disabled', 'probing'];

/** A config document got a new version. `doc` is left out when it is too large
 *  to inline: receivers then read it from the ConfigStore. */
export interface ConfigChangedPayload {
  kind: string;
  version: number;
  doc?: string;
}

/** Probe latency figures of a destination (ms), as dispatcher.list shows them. */
export interface GatewayLatency {
  count: number;
  avg: number;
  std: number;
  est: number;
  max: number;
  min: number;
  timeouts: number;
}

/** A dispatcher destination changed state (probing result, relay failure, admin set_state) or got new latency figures. */
export interface GatewayStatePayload {
  set: number;
  uri: string;
  state: GatewayState;
  reason?: string;
  /** probing flag (P) */
  probe?: boolean;
  /** failures (probing) or successes (inactive) counted toward the thresholds */
  count?: number;
  /** orders news about one destination: newer wins (hybrid clock, ms-based) */
  version?: number;
  latency?: GatewayLatency;
}

/** A replicated table entry was written. ttlMs is relative (no clock skew);
 *  version orders writes to the same key (newer wins). */
export interface TableSetPayload {
  table: string;
  key: string;
  value: string;
  ttlMs: number | null;
  version: number;
}

export interface TableDeletePayload {
  table: string;
  key: string;
  version: number;
}

export interface PayloadByType {
  'config.changed': ConfigChangedPayload;
  'gateway.state': GatewayStatePayload;
  'table.set': TableSetPayload;
  'table.delete': TableDeletePayload;
}

export type MessageType = keyof PayloadByType;

/** Which message types may travel on which channel kind. */
export interface TypesByKind {
  config: 'config.changed';
  gateway: 'gateway.state';
  ban: 'table.set' | 'table.delete';
  table: 'table.set' | 'table.delete';
}

const ALLOWED: Record<ChannelKind, readonly MessageType[]> = {
  config: ['config.changed'],
  gateway: ['gateway.state'],
  ban: ['table.set', 'table.delete'],
  table: ['table.set', 'table.delete'],
};

// A Set rather than `in` on an object literal: `"toString" in {}` is true.
const KNOWN_TYPES: ReadonlySet<string> = new Set<MessageType>(['config.changed', 'gateway.state', 'table.set', 'table.delete']);

/** What a publisher hands to Bus.publish. */
export type Outgoing<T extends MessageType = MessageType> = {
  [K in T]: { type: K; payload: PayloadByType[K] };
}[T];

/** What a subscriber receives: the envelope plus where it arrived. */
export type BusMessage<T extends MessageType = MessageType> = {
  [K in T]: {
    v: typeof MESSAGE_VERSION;
    type: K;
    /** Id of the sending node (compare with Bus.node to spot your own messages). */
    node: string;
    /** Sender's clock at publish, ms epoch (informational). */
    ts: number;
    payload: PayloadByType[K];
    subject: string;
    channel: Channel;
  };
}[T];

export type DecodeResult = { ok: true; msg: BusMessage } | { ok: false; reason: string };

export function encode(node: string, body: { type: MessageType; payload: unknown }, ts: number): string {
  return JSON.stringify({ v: MESSAGE_VERSION, type: body.type, node, ts, payload: body.payload });
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isVersion = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

const LATENCY_FIELDS = ['count', 'avg', 'std', 'est', 'max', 'min', 'timeouts'] as const;
const isLatency = (x: unknown): boolean => isObj(x) && LATENCY_FIELDS.every((f) => isNum(x[f]) && (x[f] as number) >= 0);

/** Returns the name of the first bad field, or null when the payload is well formed. */
function badField(type: MessageType, p: Obj): string | null {
  switch (type) {
    case 'config.changed':
      if (!isStr(p.kind)) return 'kind';
      if (!isVersion(p.version)) return 'version';
      if (p.doc !== undefined && typeof p.doc !== 'string') return 'doc';
      return null;
    case 'gateway.state':
      if (!Number.isSafeInteger(p.set)) return 'set';
      if (!isStr(p.uri)) return 'uri';
      if (typeof p.state !== 'string' || !GATEWAY_STATES.includes(p.state)) return 'state';
      if (p.reason !== undefined && typeof p.reason !== 'string') return 'reason';
      if (p.probe !== undefined && typeof p.probe !== 'boolean') return 'probe';
      if (p.count !== undefined && !isVersion(p.count)) return 'count';
      if (p.version !== undefined && !isVersion(p.version)) return 'version';
      if (p.latency !== undefined && !isLatency(p.latency)) return 'latency';
      return null;
    case 'table.set':
      if (!isStr(p.table)) return 'table';
      if (!isStr(p.key)) return 'key';
      if (typeof p.value !== 'string') return 'value';
      if (p.ttlMs !== null && !(isNum(p.ttlMs) && p.ttlMs > 0)) return 'ttlMs';
      if (!isVersion(p.version)) return 'version';
      return null;
    case 'table.delete':
      if (!isStr(p.table)) return 'table';
      if (!isStr(p.key)) return 'key';
      if (!isVersion(p.version)) return 'version';
      return null;
  }
}

/** The payload must name the same config kind / table as the subject it came on. */
function nameMismatch(ch: Channel, type: MessageType, p: Obj): boolean {
  if (ch.kind === 'config' && type === 'config.changed') return p.kind !== ch.name;
  if (ch.kind === 'table') return p.table !== ch.name;
  return false;
}

export function decode(cluster: string, subject: string, data: string | Uint8Array): DecodeResult {
  const channel = parseSubject(cluster, subject);
  if (!channel) return { ok: false, reason: `not a subject of cluster ${cluster}` };
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!isObj(raw)) return { ok: false, reason: 'not a JSON object' };
  if (raw.v !== MESSAGE_VERSION) return { ok: false, reason: `unknown message version ${JSON.stringify(raw.v)}` };
  const type = raw.type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) return { ok: false, reason: `unknown message type ${JSON.stringify(type)}` };
  const t = type as MessageType;
  if (!ALLOWED[channel.kind].includes(t)) return { ok: false, reason: `type ${t} is not allowed on ${channel.kind} subjects` };
  if (!isStr(raw.node)) return { ok: false, reason: 'bad field node' };
  if (!isNum(raw.ts)) return { ok: false, reason: 'bad field ts' };
  if (!isObj(raw.payload)) return { ok: false, reason: 'payload is not an object' };
  const bad = badField(t, raw.payload);
  if (bad) return { ok: false, reason: `bad payload field ${bad} in ${t}` };
  if (nameMismatch(channel, t, raw.payload)) return { ok: false, reason: `payload of ${t} names another ${channel.kind} than its subject` };
  // Shape validated field by field above.
  const msg = { v: MESSAGE_VERSION, type: t, node: raw.node, ts: raw.ts, payload: raw.payload, subject, channel } as unknown as BusMessage;
  return { ok: true, msg };
}
