// Lease groups in MemoryData: members and named leases with expiry times in
// the injected clock. Same semantics as the Redis scripts. Names and holders
// are stored as copies: a claimed name is often read out of a message (an
// auth nonce and nc), and kept as given it would keep the whole message text
// alive until the claim expires (libs/strings).
import { detachedCopy } from '#libs/strings';
import type { LeaseStore } from '../types.ts';
import { checkNonEmpty, checkTable, checkTtl } from '../validate.ts';
import type { LeaseGroup, MemoryData } from './data.ts';

export function memoryLeases(data: MemoryData, now: () => number): LeaseStore {
  const groupOf = (name: string): LeaseGroup => {
    checkTable(name);
    let g = data.leases.get(name);
    if (!g) data.leases.set(name, (g = { members: new Map(), names: new Map(), claims: new Map() }));
    return g;
  };
  const holderIn = (names: LeaseGroup['names'], name: string, t: number): string | undefined => {
    const l = names.get(name);
    if (l && l.expiresAt <= t) { names.delete(name); return undefined; }
    return l?.holder;
  };
  const holderOf = (g: LeaseGroup, name: string, t: number) => holderIn(g.names, name, t);
  return {
    async sync(group, member, want, release, ttlMs) {
      checkNonEmpty('member', member); checkTtl('ttlMs', ttlMs);
      [...want, ...release].forEach((n) => checkNonEmpty('lease name', n));
      const g = groupOf(group);
      const t = now();
      g.members.set(detachedCopy(member), t + ttlMs);
      for (const [m, exp] of g.members) if (exp <= t) g.members.delete(m);
      for (const n of release) if (holderOf(g, n, t) === member) g.names.delete(n);
      const owned: string[] = [];
      for (const n of want) {
        const h = holderOf(g, n, t);
        if (h !== undefined && h !== member) continue;
        g.names.set(detachedCopy(n), { holder: detachedCopy(member), expiresAt: t + ttlMs });
        owned.push(n);
      }
      return { members: [...g.members.keys()].sort(), owned };
    },
    async claim(group, name, holder, ttlMs) {
      checkNonEmpty('lease name', name); checkNonEmpty('holder', holder); checkTtl('ttlMs', ttlMs);
      const g = groupOf(group);
      const t = now();
      const h = holderIn(g.claims, name, t);
      if (h !== undefined) return h;
      g.claims.set(detachedCopy(name), { holder: detachedCopy(holder), expiresAt: t + ttlMs });
      return holder;
    },
    async release(group, name, holder) {
      checkNonEmpty('lease name', name); checkNonEmpty('holder', holder);
      const g = groupOf(group);
      if (holderIn(g.claims, name, now()) !== holder) return false;
      g.claims.delete(name);
      return true;
    },
    async leave(group, member, held) {
      checkNonEmpty('member', member);
      const g = groupOf(group);
      g.members.delete(member);
      const t = now();
      for (const n of held) if (holderOf(g, n, t) === member) g.names.delete(n);
    },
  };
}
