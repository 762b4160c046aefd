// Shapes shared by every transaction kind. The transaction layer knows no
// sockets: it hands messages to an injected `send` and reads time from an
// injected Clock (clock.ts), so tests drive it with a fake clock.
import type { SipMessage } from '#libs/sip';
import type { SentMessage, SentResponse } from './sent-response.ts';

/** Transport of a hop. Reliable transports (tcp) skip retransmission timers. */
export type Proto = 'udp' | 'tcp';

/** Where a message goes to (or came from). For tcp the transport maps it to a connection. */
export interface Target {
  proto: Proto;
  host: string;
  port: number;
  /**
   * The listen socket to send from (the transport's socket id), when it
   * matters: the one a request arrived on, for its responses; the one a
   * routing step chose (dispatcher `socket=`), for a branch and its CANCEL
   * and ACK. Absent: the transport picks by protocol and address family.
   */
  socket?: string;
}

/**
 * Puts one message on the wire. A throw or a rejected promise is a transport
 * error (RFC 3261 §17.1.4 / §17.2.4): the transaction informs its user.
 */
export type Send = (msg: SipMessage, target: Target) => void | Promise<void>;

export function isReliable(proto: Proto): boolean {
  return proto !== 'udp';
}

/** RFC 3261 timer names plus the proxy timers: C (fr_inv_timer), fr (fr_timer), cancel, lifetime. */
export type TimerName =
  | 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M'
  /** no response at all within frTimer (Kamailio fr_timer) */
  | 'fr'
  /** a CANCEL was sent and no final came within 64*T1 (RFC 3261 §9.1) */
  | 'cancel'
  /** a server transaction was never answered by its user (Kamailio max_inv_lifetime / max_noninv_lifetime) */
  | 'lifetime';

/** Timers whose expiry ends a transaction in failure (reported as `timeout`). */
export type TimeoutTimer = 'B' | 'C' | 'F' | 'fr' | 'cancel';

export type TerminationReason =
  /** the transaction ran to its end (final exchanged, linger timer done) */
  | 'normal'
  /** a client transaction timed out (B, F, C, fr, cancel) */
  | 'timeout'
  /** INVITE server: Timer H fired, the ACK for our non-2xx final never came */
  | 'ack-timeout'
  /** server: the user never answered within the lifetime cap */
  | 'lifetime'
  | 'transport-error'
  /** TransactionLayer.close() */
  | 'shutdown'
  /** ended while lingering for retransmissions, to make room at the live-transaction limit */
  | 'reclaimed';

// ---------------------------------------------------------------- server side

export type ServerTransactionEvents = {
  /** a CANCEL matched this INVITE while no final was sent; the layer already answered the CANCEL with 200 */
  cancel: { cancel: SipMessage };
  /** the ACK for our non-2xx final arrived (absorbed here, never forwarded) */
  ack: { ack: SipMessage };
  terminated: { reason: TerminationReason };
};

export type InviteServerState =
  | { name: 'proceeding' }
  /** non-2xx final sent; Timer G resends it (udp) until ACK or Timer H */
  | { name: 'completed'; final: SentResponse }
  /** ACK received; Timer I absorbs ACK retransmissions */
  | { name: 'confirmed' }
  /** RFC 6026: 2xx sent; Timer L absorbs INVITE retransmissions, 2xx from the user still go out */
  | { name: 'accepted'; final: SentResponse }
  | { name: 'terminated'; reason: TerminationReason };

export type NonInviteServerState =
  | { name: 'trying' }
  | { name: 'proceeding' }
  /** final sent; Timer J absorbs request retransmissions */
  | { name: 'completed'; final: SentResponse }
  | { name: 'terminated'; reason: TerminationReason };

// ---------------------------------------------------------------- client side

/** A final response handed to the user; `local` ones were made up here. */
export type ClientFinalEvent =
  | {
      response: SipMessage;
      local: false;
      /** false for a second 2xx (retransmission or another fork) or a final after a local one */
      first: boolean;
    }
  | {
      response: SipMessage;
      local: true;
      /** timeout: 408 after B/F/C/fr; cancel-timeout: 487 when a cancelled branch never answered; transport-error: 503 */
      cause: 'timeout' | 'cancel-timeout' | 'transport-error';
      timer?: TimeoutTimer;
      first: true;
    };

export type ClientTransactionEvents = {
  provisional: { response: SipMessage };
  final: ClientFinalEvent;
  /** which timer expired; always followed by a local `final` unless one was already delivered */
  timeout: { timer: TimeoutTimer; provisionalReceived: boolean };
  terminated: { reason: TerminationReason };
};

export type InviteClientState =
  | { name: 'calling' }
  | { name: 'proceeding' }
  /** non-2xx final received and ACKed; Timer D absorbs its retransmissions (the ACK kept as bytes, sent again for each) */
  | { name: 'completed'; ack: SentMessage }
  /** RFC 6026: 2xx received; Timer M passes further 2xx up */
  | { name: 'accepted' }
  | { name: 'terminated'; reason: TerminationReason };

export type NonInviteClientState =
  | { name: 'trying' }
  | { name: 'proceeding' }
  /** final received; Timer K absorbs its retransmissions */
  | { name: 'completed' }
  | { name: 'terminated'; reason: TerminationReason };

/** Per-transaction overrides of the layer config (Kamailio t_set_fr). */
export interface ClientOptions {
  /** ms without any response before a local 408 (0 = off) */
  frTimer?: number;
  /** INVITE only: Timer C in ms, restarted on each provisional */
  frInvTimer?: number;
}

/** What cancelBranch() did. */
export type CancelOutcome =
  /** CANCEL sent now */
  | 'sent'
  /** no provisional yet: CANCEL goes out when the first one arrives (or never, if a final comes first) */
  | 'pending'
  /** a final response was already received (or the transaction is over): nothing to cancel */
  | 'too-late'
  /** cancelBranch was already called for this branch */
  | 'already';
