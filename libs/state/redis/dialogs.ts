// topos records: plain strings with PX (JSON-encoded so objects round-trip).
import { sendFollowingRedirects, type RedisClient } from './client.ts';
import type { KeySpace } from '../keys.ts';
import type { DialogRecord, DialogStore } from '../types.ts';
import { checkNonEmpty, checkToken, checkTtl } from '../validate.ts';
import { call } from './errors.ts';

export function redisDialogs(redis: RedisClient, keys: KeySpace): DialogStore {
  const send = <T>(cmd: () => Promise<T>) => sendFollowingRedirects(redis, cmd);
  const read = (s: string | null): DialogRecord | null => (s === null ? null : JSON.parse(s) as DialogRecord);
  return {
    put(token, record, opts) {
      return call(async () => {
        checkToken('dialog token', token);
        checkTtl('dialogExpireMs', opts.dialogExpireMs);
        checkTtl('branchExpireMs', opts.branchExpireMs);
        const b = opts.branch;
        if (b) checkNonEmpty('branchId', b.branchId);
        // Both SETs leave in the same tick: one pipelined write, one round trip.
        await Promise.all([
          send(() => redis.set(keys.dialog(token), JSON.stringify(record), 'PX', opts.dialogExpireMs)),
          b ? send(() => redis.set(keys.dialogBranch(token, b.branchId), JSON.stringify(b.data), 'PX', opts.branchExpireMs)) : undefined,
        ]);
      });
    },
    get(token) {
      return call(async () => {
        checkToken('dialog token', token);
        return read(await send(() => redis.get(keys.dialog(token))));
      });
    },
    getAndExpire(token, ttlMs) {
      return call(async () => {
        checkToken('dialog token', token);
        checkTtl('ttlMs', ttlMs);
        return read(await send(() => redis.getex(keys.dialog(token), 'PX', ttlMs)));
      });
    },
    refresh(token, dialogExpireMs) {
      return call(async () => {
        checkToken('dialog token', token);
        checkTtl('dialogExpireMs', dialogExpireMs);
        return await send(() => redis.pexpire(keys.dialog(token), dialogExpireMs)) === 1;
      });
    },
    delete(token) {
      return call(async () => {
        checkToken('dialog token', token);
        return await send(() => redis.del(keys.dialog(token))) === 1;
      });
    },
    putBranch(token, branchId, data, branchExpireMs) {
      return call(async () => {
        checkToken('dialog token', token);
        checkNonEmpty('branchId', branchId);
        checkTtl('branchExpireMs', branchExpireMs);
        await send(() => redis.set(keys.dialogBranch(token, branchId), JSON.stringify(data), 'PX', branchExpireMs));
      });
    },
    getBranch(token, branchId) {
      return call(async () => {
        checkToken('dialog token', token);
        checkNonEmpty('branchId', branchId);
        return read(await send(() => redis.get(keys.dialogBranch(token, branchId))));
      });
    },
  };
}
