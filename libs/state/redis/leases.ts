// Lease groups: a members sorted set (score = expiry, Redis clock) and one
// string per lease (value = holder, PX ttl). Each call is one round trip: a
// script, or for claim (once per dispatched INVITE) one SET NX GET.
// release (a claim given back) deletes only the holder's own claim.
import { sendFollowingRedirects, type RedisClient } from './client.ts';
import type { KeySpace } from '../keys.ts';
import type { LeaseStore } from '../types.ts';
import { checkNonEmpty, checkTable, checkTtl } from '../validate.ts';
import { call } from './errors.ts';
import { runScript } from './scripts.ts';

export function redisLeases(redis: RedisClient, keys: KeySpace): LeaseStore {
  return {
    sync(group, member, want, release, ttlMs) {
      return call(async () => {
        checkTable(group); checkNonEmpty('member', member); checkTtl('ttlMs', ttlMs);
        [...want, ...release].forEach((n) => checkNonEmpty('lease name', n));
        const k = [keys.leaseMembers(group), ...want.map((n) => keys.lease(group, n)), ...release.map((n) => keys.lease(group, n))];
        const out = await runScript(redis, 'sbcLeaseSync', k, [member, ttlMs, want.length]) as string[];
        const split = out.indexOf('');
        return { members: out.slice(0, split).sort(), owned: out.slice(split + 1).map((i) => want[Number(i) - 1]) };
      });
    },
    claim(group, name, holder, ttlMs) {
      return call(async () => {
        checkTable(group); checkNonEmpty('lease name', name); checkNonEmpty('holder', holder); checkTtl('ttlMs', ttlMs);
        // on the hot path (each dispatched INVITE): a native SET NX GET (Redis >= 7.0) costs Redis
        // a few µs where the equivalent script cost ~30, and the node less encoding
        const key = keys.claim(group, name);
        return (await sendFollowingRedirects(redis, () => redis.set(key, holder, 'PX', ttlMs, 'NX', 'GET'))) ?? holder;
      });
    },
    release(group, name, holder) {
      return call(async () => {
        checkTable(group); checkNonEmpty('lease name', name); checkNonEmpty('holder', holder);
        return (await runScript(redis, 'sbcClaimRelease', [keys.claim(group, name)], [holder])) === 1;
      });
    },
    leave(group, member, held) {
      return call(async () => {
        checkTable(group); checkNonEmpty('member', member);
        await runScript(redis, 'sbcLeaseLeave', [keys.leaseMembers(group), ...held.map((n) => keys.lease(group, n))], [member]);
      });
    },
  };
}
