// A final response a server transaction keeps for retransmissions, held as
// the bytes that went out rather than as the parsed message: a completed
// transaction lingers up to 64*T1 (32 s), and a parsed message (source text,
// header index, parsed values, mutation rows) held that long per call fills
// the old generation and makes every scavenge copy it. Retransmissions are
// rare, so the bytes are parsed back only when one is needed.
import { parseMessage, type SipMessage } from '#libs/sip';

export class SentResponse {
  readonly status: number;
  private readonly bytes: Buffer;

  /** call after the message went to the transport: serialize() then returns the bytes it already built */
  constructor(msg: SipMessage) {
    this.status = msg.status;
    this.bytes = msg.serialize();
  }

  /** the response to send again; undefined only if our own bytes no longer parse (never expected) */
  message(): SipMessage | undefined {
    const n = this.bytes.length;
    // our own output: the caps are for hostile input, not for what we sent
    const r = parseMessage(this.bytes, { maxMessageBytes: n, maxLineBytes: n, maxHeaderCount: n, maxViaDepth: n });
    return r.ok ? r.msg : undefined;
  }
}
