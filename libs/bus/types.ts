// The Bus contract: one per node, implemented in memory (single node, tests)
// and over NATS (cluster). Both pass bus.contract.ts.
import type { BusMessage, Outgoing, TypesByKind } from './messages.ts';
import type { Channel, Selector } from './subjects.ts';

export type Unsubscribe = () => void;

/** Connection events, as the node needs them: export sbc_backend_up{backend="nats"},
 *  and re-sync replicated state from Redis after `reconnected`. */
export type BusStatus =
  | { type: 'connected'; server: string }
  | { type: 'disconnected'; server: string }
  | { type: 'reconnected'; server: string }
  | { type: 'closed'; error?: Error };

export type Handler<T = BusMessage> = (msg: T) => void | Promise<void>;

export interface Bus {
  readonly backend: 'memory' | 'nats';
  /** This node's id; it is the `node` field of every message it sends. */
  readonly node: string;
  readonly cluster: string;
  /** True while messages can be sent and received. */
  isUp(): boolean;
  status(): BusStatus;
  /** Called on every transition (not immediately on subscribe). */
  onStatus(cb: (s: BusStatus) => void): Unsubscribe;
  /**
   * Fire-and-forget. Resolves nothing: returns false when the message was
   * dropped because the bus is down or closed (Redis stays the truth; peers
   * converge on their next resync). Never throws for a down bus.
   */
  publish<C extends Channel>(channel: C, body: Outgoing<TypesByKind[C['kind']]>): boolean;
  /**
   * Every valid message on the selected subjects, this node's own included
   * (msg.node === bus.node): handlers must be idempotent. Invalid or unknown
   * messages are logged and counted, never delivered. Handler errors are
   * logged and contained. The subscription is in force on the server once
   * a following flush() resolves.
   */
  subscribe<S extends Selector>(sel: S, handler: Handler<BusMessage<TypesByKind[S['kind']]>>): Unsubscribe;
  /** Round trip to the server: earlier publishes and subscriptions are in force. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
