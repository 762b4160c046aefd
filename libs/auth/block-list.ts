// auth_block_list: failed authentications are counted per username and/or
// per source IP in a fixed window (a TableStore counter that expires with the
// window); when a count reaches the threshold the key is blocked for
// block_time in a ReplicatedTable, so every node refuses it from its local
// replica within milliseconds (NATS) and converges from Redis.
// The first refusal is "403 Blocked Forbidden" (the request that tripped the
// block), later ones "403 Already Blocked Forbidden" (Kamailio seed wording).
import type { TableStore } from '#libs/state';

/** Which keys are counted and blocked. */
export type BlockMode = 'user' | 'ip' | 'both';

export interface BlockPolicy {
  /** false: nothing is counted or blocked (auth_block.enabled) */
  enabled?: boolean;
  mode: BlockMode;
  /** failures within windowMs that block */
  failures: number;
  windowMs: number;
  blockMs: number;
}

/** The replicated table the blocks live in (what this needs of a ReplicatedTable). */
export interface BlockTable {
  has(key: string): boolean;
  set(key: string, value: string, ttlMs?: number): Promise<unknown>;
  delete(key: string): Promise<boolean>;
  entries(prefix?: string): { key: string; value: string; expiresAt: number | null }[];
}

export const BLOCK_TABLE = 'auth_block';
export const FAILURE_TABLE = 'auth_fail';

export const userKey = (username: string, domain: string): string => `user:${username}@${domain.toLowerCase()}`;
export const ipKey = (ip: string): string => `ip:${ip}`;

export interface Identity {
  /** username@domain being authenticated, when known */
  user?: { username: string; domain: string };
  ip: string;
}

export class AuthBlockList {
  constructor(
    private readonly policy: BlockPolicy,
    private readonly blocks: BlockTable,
    private readonly counters: TableStore,
  ) {}

  /** The keys of an identity this policy counts. */
  keys(id: Identity): string[] {
    const out: string[] = [];
    if (this.policy.enabled === false) return out;
    if (this.policy.mode !== 'ip' && id.user !== undefined) out.push(userKey(id.user.username, id.user.domain));
    if (this.policy.mode !== 'user') out.push(ipKey(id.ip));
    return out;
  }

  /** Local, synchronous: is any key of this identity blocked? */
  isBlocked(id: Identity): boolean {
    for (const k of this.keys(id)) if (this.blocks.has(k)) return true;
    return false;
  }

  /** Counts one failure; resolves to the keys this failure blocked (empty when none). */
  async recordFailure(id: Identity, reason: string): Promise<string[]> {
    const keys = this.keys(id);
    const counts = await Promise.all(keys.map((k) => this.counters.incr(FAILURE_TABLE, k, 1, this.policy.windowMs)));
    const tripped = keys.filter((_, i) => counts[i].value >= this.policy.failures && !this.blocks.has(keys[i]));
    await Promise.all(tripped.map((k) => this.blocks.set(k, `${reason} x${this.policy.failures}`, this.policy.blockMs)));
    // the window starts over once blocked: a lifted block does not trip again at the next failure
    await Promise.all(tripped.map((k) => this.counters.delete(FAILURE_TABLE, k)));
    return tripped;
  }

  list(): { key: string; reason: string; expiresInMs: number | null }[] {
    const now = Date.now();
    return this.blocks.entries().map((e) => ({ key: e.key, reason: e.value, expiresInMs: e.expiresAt === null ? null : Math.max(0, e.expiresAt - now) }));
  }

  /** Lifts a block (and forgets the failures counted) cluster-wide. */
  async lift(key: string): Promise<boolean> {
    const [had] = await Promise.all([this.blocks.delete(key), this.counters.delete(FAILURE_TABLE, key)]);
    return had;
  }

  get size(): number {
    return this.blocks.entries().length;
  }
}
