// Call-load: a sorted set per destination, member = Call-ID, score = expiry
// (Redis clock). Each operation prunes expired members in the same script.
import type { RedisClient } from './client.ts';
import type { KeySpace } from '../keys.ts';
import type { CallLoadStore } from '../types.ts';
import { limitsOf } from '../memory/call-load.ts';
import { checkNonEmpty, checkTtl } from '../validate.ts';
import { call } from './errors.ts';
import { runScript } from './scripts.ts';

export function redisCallLoad(redis: RedisClient, keys: KeySpace): CallLoadStore {
  const checkDests = (dests: string[]) => dests.forEach((d) => checkNonEmpty('dest', d));
  return {
    start(dest, callId, ttlMs) {
      return call(async () => {
        checkNonEmpty('dest', dest); checkNonEmpty('callId', callId); checkTtl('ttlMs', ttlMs);
        return await runScript(redis, 'sbcLoadStart', [keys.callLoad(dest)], [callId, ttlMs]) as number;
      });
    },
    startLeastLoaded(dests, callId, ttlMs, maxLoad) {
      return call(async () => {
        checkDests(dests); checkNonEmpty('callId', callId); checkTtl('ttlMs', ttlMs);
        const limits = limitsOf(dests.length, maxLoad);
        if (dests.length === 0) return null;
        const r = await runScript(redis, 'sbcLoadStartLeast', dests.map((d) => keys.callLoad(d)), [callId, ttlMs, ...limits]) as number[] | null;
        return r ? { dest: dests[r[0] - 1], count: r[1], counts: r.slice(2) } : null;
      });
    },
    endAny(dests, callId) {
      return call(async () => {
        checkDests(dests); checkNonEmpty('callId', callId);
        if (dests.length === 0) return null;
        const i = await runScript(redis, 'sbcLoadEndAny', dests.map((d) => keys.callLoad(d)), [callId]) as number;
        return i > 0 ? dests[i - 1] : null;
      });
    },
    refresh(dest, callId, ttlMs) {
      return call(async () => {
        checkNonEmpty('dest', dest); checkNonEmpty('callId', callId); checkTtl('ttlMs', ttlMs);
        return await runScript(redis, 'sbcLoadRefresh', [keys.callLoad(dest)], [callId, ttlMs]) === 1;
      });
    },
    end(dest, callId) {
      return call(async () => {
        checkNonEmpty('dest', dest); checkNonEmpty('callId', callId);
        return await runScript(redis, 'sbcLoadEnd', [keys.callLoad(dest)], [callId]) as number;
      });
    },
    count(dest) {
      return call(async () => {
        checkNonEmpty('dest', dest);
        const [n] = await runScript(redis, 'sbcLoadCounts', [keys.callLoad(dest)], []) as number[];
        return n;
      });
    },
    counts(dests) {
      return call(async () => {
        checkDests(dests);
        if (dests.length === 0) return new Map<string, number>();
        const ns = await runScript(redis, 'sbcLoadCounts', dests.map((d) => keys.callLoad(d)), []) as number[];
        return new Map(dests.map((d, i) => [d, ns[i]]));
      });
    },
  };
}
