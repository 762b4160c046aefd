// A message a transaction keeps for retransmissions, held as the bytes that
// went out rather than as the parsed message: a server transaction keeps its
// last response (a final lingers up to 64*T1, 32 s), a client transaction the
// request it sent (for Timers A/E, and the ACK, CANCEL or local answer built
// from it). A parsed message (source text, header index, parsed values,
// mutation rows) held that long per call fills the old generation; these
// bytes are a third of it (docs/limits.md). Retransmissions are rare, so the
// bytes are parsed back only when one is needed.
//
// The bytes are kept as a latin1 string, not the Buffer serialize() made: a
// message under 4 KB is a slice of Node's shared 8 KB allocation pool, and a
// slice kept for seconds keeps the whole slab alive with it.
import { parseMessage, type SipMessage } from '#libs/sip';

export class SentMessage {
  /** latin1: one char per byte */
  private readonly text: string;

  /** call after the message went to the transport: serialize() then returns the bytes it already built */
  constructor(msg: SipMessage) {
    this.text = msg.serialize().toString('latin1');
  }

  /** the bytes kept */
  get byteLength(): number {
    return this.text.length;
  }

  /** the message to send again; undefined only if our own bytes no longer parse (never expected) */
  message(): SipMessage | undefined {
    const n = this.text.length;
    // our own output: the caps are for hostile input, not for what we sent
    const r = parseMessage(Buffer.from(this.text, 'latin1'), { maxMessageBytes: n, maxLineBytes: n, maxHeaderCount: n, maxViaDepth: n });
    return r.ok ? r.msg : undefined;
  }
}

/** A final response kept by a server transaction (its status read without parsing). */
export class SentResponse extends SentMessage {
  readonly status: number;

  constructor(msg: SipMessage) {
    super(msg);
    this.status = msg.status;
  }
}
