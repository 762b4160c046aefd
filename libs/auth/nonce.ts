// Stateless nonces any node can check (no anchor node, no nonce table):
//   base64url( version | key id | flags | expiry (s) | random | HMAC )
// The HMAC-SHA256 (truncated to 16 bytes) covers the fields and, when the
// flags say so, the request's source IP, Call-ID and Request-URI (Kamailio
// auth_checks_*), so a nonce handed to one client is useless elsewhere.
// The key ring holds the current secret (signs) and previous ones (still
// verify), so the secret rotates without failing live clients.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const MAC_BYTES = 16;
const RANDOM_BYTES = 8;
/** version 1 + key id 2 + flags 1 + expiry 4 + random 8 */
const BODY_BYTES = 16;
const NONCE_CHARS = Math.ceil(((BODY_BYTES + MAC_BYTES) * 4) / 3);

/** What a nonce may be bound to (Kamailio auth_checks_register / _no_dlg bits). */
export type NonceBinding = 'src_ip' | 'call_id' | 'ruri';
const BINDING_BITS: Record<NonceBinding, number> = { ruri: 1, call_id: 2, src_ip: 8 };

export interface NonceContext {
  srcIp: string;
  callId: string;
  ruri: string;
}

export type NonceCheck =
  | { ok: true; expiresAt: number }
  /** well formed and signed by us, but past its expiry: challenge again with stale=true */
  | { ok: false; reason: 'expired'; expiresAt: number }
  /** not ours, tampered, signed by a retired secret, or bound to another source/Call-ID/R-URI */
  | { ok: false; reason: 'invalid' };

interface RingKey {
  id: number;
  key: Buffer;
}

export interface NonceCodecOptions {
  /** current secret first, then previous ones still accepted; each at least 16 chars */
  secrets: readonly string[];
  /** nonce lifetime in ms (Kamailio nonce_expire) */
  lifetimeMs: number;
  bindings?: readonly NonceBinding[];
  now?: () => number;
}

export const MIN_SECRET_CHARS = 16;

export class NonceCodec {
  private readonly ring: RingKey[];
  private readonly flags: number;
  private readonly now: () => number;

  constructor(private readonly opts: NonceCodecOptions) {
    if (opts.secrets.length === 0) throw new Error('nonce key ring needs at least one secret');
    for (const s of opts.secrets) if (s.length < MIN_SECRET_CHARS) throw new Error(`every nonce secret needs at least ${MIN_SECRET_CHARS} chars`);
    this.ring = opts.secrets.map((s) => ringKey(s));
    if (new Set(this.ring.map((k) => k.id)).size !== this.ring.length) throw new Error('two nonce secrets share a key id (the same secret twice?)');
    this.flags = (opts.bindings ?? []).reduce((f, b) => f | BINDING_BITS[b], 0);
    this.now = opts.now ?? Date.now;
  }

  get lifetimeMs(): number {
    return this.opts.lifetimeMs;
  }

  /** A fresh nonce signed with the current secret. */
  issue(ctx: NonceContext): string {
    const body = Buffer.allocUnsafe(BODY_BYTES);
    const k = this.ring[0];
    body.writeUInt8(VERSION, 0);
    body.writeUInt16BE(k.id, 1);
    body.writeUInt8(this.flags, 3);
    body.writeUInt32BE(Math.ceil((this.now() + this.opts.lifetimeMs) / 1000), 4);
    randomBytes(RANDOM_BYTES).copy(body, 8);
    return Buffer.concat([body, this.mac(k.key, body, ctx)]).toString('base64url');
  }

  check(nonce: string, ctx: NonceContext): NonceCheck {
    if (nonce.length !== NONCE_CHARS || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { ok: false, reason: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== BODY_BYTES + MAC_BYTES || raw.readUInt8(0) !== VERSION) return { ok: false, reason: 'invalid' };
    const body = raw.subarray(0, BODY_BYTES);
    const k = this.ring.find((r) => r.id === body.readUInt16BE(1));
    // a nonce bound differently from today's config is refused (a new one is issued)
    if (k === undefined || body.readUInt8(3) !== this.flags) return { ok: false, reason: 'invalid' };
    if (!timingSafeEqual(raw.subarray(BODY_BYTES), this.mac(k.key, body, ctx))) return { ok: false, reason: 'invalid' };
    const expiresAt = body.readUInt32BE(4) * 1000;
    return expiresAt <= this.now() ? { ok: false, reason: 'expired', expiresAt } : { ok: true, expiresAt };
  }

  private mac(key: Buffer, body: Buffer, ctx: NonceContext): Buffer {
    const h = createHmac('sha256', key).update(body);
    if (this.flags & BINDING_BITS.src_ip) h.update(`\0ip:${ctx.srcIp}`, 'latin1');
    if (this.flags & BINDING_BITS.call_id) h.update(`\0cid:${ctx.callId}`, 'latin1');
    if (this.flags & BINDING_BITS.ruri) h.update(`\0ruri:${ctx.ruri}`, 'latin1');
    return h.digest().subarray(0, MAC_BYTES);
  }
}

/** The key id is derived from the secret, so operators list secrets, not ids. */
function ringKey(secret: string): RingKey {
  const id = createHash('sha256').update(`sbc-nonce-id:${secret}`, 'utf8').digest().readUInt16BE(0);
  return { id, key: createHash('sha256').update(`sbc-nonce-mac:${secret}`, 'utf8').digest() };
}
