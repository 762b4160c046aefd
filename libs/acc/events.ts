// Accounting events: what a node tells the record assembler about one call.
// They are the queue's payload (JSON, compact keys kept readable), made from
// the proxy's call events (adapter.ts) and from the acc step (the INVITE's
// From/To/source, which the call events do not carry). Every event has an id
// unique in the cluster (node, boot, sequence): the writer applies an event
// at most once whatever the retries, so records are written exactly once.

import { detachedCopy } from '#libs/strings';

export type Proto = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

interface Base {
  /** unique event id: `<node>.<boot>.<seq>` */
  readonly id: string;
  /** caller-side Call-ID */
  readonly call: string;
  /** epoch ms on the emitting node */
  readonly at: number;
  /** node that emitted it */
  readonly node: string;
}

/** An attempt's (branch's) end without a 2xx. */
export type AttemptCause = 'status' | 'timeout' | 'transport-error';

export type AccEvent =
  /** an initial INVITE the node took in and is about to route */
  | (Base & {
      readonly t: 'start';
      readonly from: string;
      readonly fromTag: string;
      readonly to: string;
      readonly ruri: string;
      readonly src: { readonly ip: string; readonly port: number; readonly proto: Proto };
      /** Call-ID toward the core when topology hiding changes it */
      readonly coreCall?: string;
      /** the authenticated user (digest username), once authentication exists */
      readonly user?: string;
    })
  /** attempt n (0 = first gateway tried) left for gateway `gw` */
  | (Base & { readonly t: 'attempt'; readonly n: number; readonly gw: string; readonly duid?: string })
  /** first provisional (101-199) of attempt n */
  | (Base & { readonly t: 'ringing'; readonly n: number; readonly status: number })
  /** attempt n ended without a 2xx */
  | (Base & { readonly t: 'attempt-failed'; readonly n: number; readonly cause: AttemptCause; readonly status?: number; readonly provisional?: boolean })
  /** attempt n was answered (2xx) */
  | (Base & { readonly t: 'answered'; readonly n: number; readonly status: number; readonly toTag?: string })
  /** the caller cancelled */
  | (Base & { readonly t: 'cancelled' })
  /**
   * the caller got its final answer: relayed, or made by the node (`local`).
   * `k`: how many events about this call the node emitted before this one, so
   * the writer knows when it has them all (batches may be written out of order).
   */
  | (Base & { readonly t: 'final'; readonly status: number; readonly local: boolean; readonly reason?: string; readonly k?: number })
  /** the node refused the INVITE before relaying it (policy, no route...); `k` as for final */
  | (Base & { readonly t: 'refused'; readonly status: number; readonly reason: string; readonly code: string; readonly k?: number })
  /** a BYE ended the dialog; by = the side that sent it */
  | (Base & { readonly t: 'ended'; readonly by: 'caller' | 'callee' | 'unknown'; readonly toTag?: string })
  /** an in-dialog request (re-INVITE, UPDATE) showed the dialog is alive */
  | (Base & { readonly t: 'refresh' });

export type AccEventType = AccEvent['t'];

/** Distributes the Omit over the union (TS's Omit would merge the members). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as its producer builds it; the emitter stamps id and node. */
export type AccEventInput = DistributiveOmit<AccEvent, 'id' | 'node'>;

/** Every string an event may carry from a message, each optional but `call`. */
interface EventStrings { call: string; from?: string; fromTag?: string; to?: string; ruri?: string; coreCall?: string; user?: string; gw?: string; duid?: string; toTag?: string; reason?: string; code?: string }

/**
 * Replaces the event's strings by copies (libs/strings): read out of the
 * INVITE, a response or the BYE, they are slices of its whole text, which an
 * event kept for long (buffered while the queue is away; in the single-node
 * assembler, for the call's life) would keep alive. A string field added to
 * an event type belongs here too. (`src` holds the transport's address
 * string, one per peer, and constants.)
 */
export function detachEventStrings(ev: AccEventInput): void {
  const e = ev as unknown as EventStrings;
  e.call = detachedCopy(e.call);
  if (e.from !== undefined) e.from = detachedCopy(e.from);
  if (e.fromTag !== undefined) e.fromTag = detachedCopy(e.fromTag);
  if (e.to !== undefined) e.to = detachedCopy(e.to);
  if (e.ruri !== undefined) e.ruri = detachedCopy(e.ruri);
  if (e.coreCall !== undefined) e.coreCall = detachedCopy(e.coreCall);
  if (e.user !== undefined) e.user = detachedCopy(e.user);
  if (e.gw !== undefined) e.gw = detachedCopy(e.gw);
  if (e.duid !== undefined) e.duid = detachedCopy(e.duid);
  if (e.toTag !== undefined) e.toTag = detachedCopy(e.toTag);
  if (e.reason !== undefined) e.reason = detachedCopy(e.reason);
  if (e.code !== undefined) e.code = detachedCopy(e.code);
}

/** A batch as it travels on the queue (one job). */
export interface AccBatch {
  /** format version of the batch */
  readonly v: 1;
  readonly node: string;
  readonly events: readonly AccEvent[];
}

const TYPES: ReadonlySet<string> = new Set(['start', 'attempt', 'ringing', 'attempt-failed', 'answered', 'cancelled', 'final', 'refused', 'ended', 'refresh']);

/** Checks the envelope of a batch taken off the queue (another version or garbage is refused, not guessed). */
export function parseBatch(data: unknown): AccBatch | string {
  if (typeof data !== 'object' || data === null) return 'batch is not an object';
  const b = data as { v?: unknown; node?: unknown; events?: unknown };
  if (b.v !== 1) return `unknown batch version ${String(b.v)}`;
  if (typeof b.node !== 'string' || !Array.isArray(b.events)) return 'batch needs node and events';
  for (const e of b.events as unknown[]) {
    if (typeof e !== 'object' || e === null) return 'event is not an object';
    const ev = e as { id?: unknown; call?: unknown; at?: unknown; t?: unknown };
    if (typeof ev.id !== 'string' || ev.id === '' || typeof ev.call !== 'string' || typeof ev.at !== 'number' || typeof ev.t !== 'string' || !TYPES.has(ev.t)) {
      return `malformed event ${JSON.stringify(e).slice(0, 120)}`;
    }
  }
  return data as AccBatch;
}
