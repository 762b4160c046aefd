// The Record-Route signature: HMAC-SHA256 over the dialog's Call-ID and the
// From tag written into our Record-Route (`ftag`), truncated to 96 bits and
// written as 16 base64url characters (`;rrs=`). Both are fixed for the
// dialog's lifetime and both sides' in-dialog requests carry them (the
// Call-ID in its header, ftag in the Route entry itself), so any node with
// the cluster secret checks a route another node signed, with no state.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MIN_SECRET_CHARS = 16;
/** characters of the signature: 96 bits of the HMAC in base64url */
const SIG_CHARS = 16;

export class RouteSigner {
  private readonly keys: Buffer[];

  /** `secret` signs and checks; `previous` only check (rotation) */
  constructor(secret: string, previous: readonly string[] = []) {
    this.keys = [secret, ...previous].map((s) => Buffer.from(s, 'utf8'));
  }

  sign(callId: string, ftag: string): string {
    return mac(this.keys[0], callId, ftag);
  }

  /** true when `sig` is the signature of (callId, ftag) under the secret or a previous one */
  verify(callId: string, ftag: string, sig: string): boolean {
    if (sig.length !== SIG_CHARS) return false;
    const given = Buffer.from(sig, 'latin1');
    for (const key of this.keys) {
      if (timingSafeEqual(Buffer.from(mac(key, callId, ftag), 'latin1'), given)) return true;
    }
    return false;
  }
}

function mac(key: Buffer, callId: string, ftag: string): string {
  // '\n' cannot occur in a Call-ID or a tag: (callId, ftag) pairs cannot be shifted into each other
  return createHmac('sha256', key).update(callId).update('\n').update(ftag).digest('base64url').slice(0, SIG_CHARS);
}
