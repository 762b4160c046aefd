// Dispatcher call-load as expiring membership per destination, in MemoryData.
import { detachedCopy } from '#libs/strings';
import { StateError } from '../errors.ts';
import type { CallLoadStore } from '../types.ts';
import { checkInt, checkNonEmpty, checkTtl } from '../validate.ts';
import { pruneCalls, type CallSet, type MemoryData } from './data.ts';

/** One limit per destination (0 = none) from a single limit or a list; checked like the Redis backend does. */
export function limitsOf(n: number, maxLoad: number | readonly number[] | undefined): number[] {
  if (maxLoad === undefined) return new Array<number>(n).fill(0);
  if (typeof maxLoad === 'number') { checkInt('maxLoad', maxLoad, 1); return new Array<number>(n).fill(maxLoad); }
  if (maxLoad.length !== n) throw new StateError('STATE_BAD_ARG', `maxLoad lists ${maxLoad.length} limits for ${n} destinations`);
  maxLoad.forEach((m) => checkInt('maxLoad', m, 0));
  return [...maxLoad];
}

export function memoryCallLoad(data: MemoryData, now: () => number): CallLoadStore {
  /** live calls of dest */
  function calls(dest: string, create: true): CallSet;
  function calls(dest: string, create: false): CallSet | undefined;
  function calls(dest: string, create: boolean): CallSet | undefined {
    let set = data.callLoad.get(dest);
    if (set) pruneCalls(set, now());
    if (!set && create) { set = { members: new Map(), nextExpiry: Infinity }; data.callLoad.set(dest, set); }
    return set;
  }
  const add = (set: CallSet, callId: string, ttlMs: number) => {
    const exp = now() + ttlMs;
    // (a copy: the Call-ID is a slice of the INVITE, and a call lasts minutes to hours)
    set.members.set(detachedCopy(callId), exp);
    if (exp < set.nextExpiry) set.nextExpiry = exp;
    return set.members.size;
  };
  const size = (dest: string) => calls(dest, false)?.members.size ?? 0;
  return {
    async start(dest, callId, ttlMs) {
      checkNonEmpty('dest', dest); checkNonEmpty('callId', callId); checkTtl('ttlMs', ttlMs);
      return add(calls(dest, true), callId, ttlMs);
    },
    async startLeastLoaded(dests, callId, ttlMs, maxLoad) {
      dests.forEach((d) => checkNonEmpty('dest', d));
      checkNonEmpty('callId', callId); checkTtl('ttlMs', ttlMs);
      const limits = limitsOf(dests.length, maxLoad);
      const counts = () => dests.map(size);
      // A retransmitted INVITE keeps the destination it already has.
      for (const dest of dests) {
        const set = calls(dest, false);
        if (set?.members.has(callId)) return { dest, count: add(set, callId, ttlMs), counts: counts() };
      }
      let best = -1;
      let bestCount = Infinity;
      dests.forEach((d, i) => {
        const n = size(d);
        if ((limits[i] === 0 || n < limits[i]) && n < bestCount) { best = i; bestCount = n; }
      });
      if (best < 0) return null;
      const count = add(calls(dests[best], true), callId, ttlMs);
      return { dest: dests[best], count, counts: counts() };
    },
    async endAny(dests, callId) {
      dests.forEach((d) => checkNonEmpty('dest', d)); checkNonEmpty('callId', callId);
      for (const dest of dests) {
        const set = calls(dest, false);
        if (!set?.members.has(callId)) continue;
        set.members.delete(callId);
        if (set.members.size === 0) data.callLoad.delete(dest);
        return dest;
      }
      return null;
    },
    async refresh(dest, callId, ttlMs) {
      checkNonEmpty('dest', dest); checkNonEmpty('callId', callId); checkTtl('ttlMs', ttlMs);
      const set = calls(dest, false);
      if (!set?.members.has(callId)) return false;
      add(set, callId, ttlMs);
      return true;
    },
    async end(dest, callId) {
      checkNonEmpty('dest', dest); checkNonEmpty('callId', callId);
      const set = calls(dest, false);
      if (!set) return 0;
      set.members.delete(callId);
      if (set.members.size === 0) data.callLoad.delete(dest);
      return set.members.size;
    },
    async count(dest) {
      checkNonEmpty('dest', dest);
      return size(dest);
    },
    async counts(dests) {
      dests.forEach((d) => checkNonEmpty('dest', d));
      return new Map(dests.map((d) => [d, size(d)]));
    },
  };
}
