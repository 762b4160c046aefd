// topos records: plain strings with PX (JSON-encoded so objects round-trip).
import type { Redis } from 'ioredis';
import type { KeySpace } from '../keys.ts';
import type { DialogRecord, DialogStore } from '../types.ts';
import { checkNonEmpty, checkToken, checkTtl } from '../validate.ts';
import { call } from './errors.ts';

export function redisDialogs(redis: Redis, keys: KeySpace): DialogStore {
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
          redis.set(keys.dialog(token), JSON.stringify(record), 'PX', opts.dialogExpireMs),
          b ? redis.set(keys.dialogBranch(token, b.branchId), JSON.stringify(b.data), 'PX', opts.branchExpireMs) : undefined,
        ]);
      });
    },
    get(token) {
      return call(async () => {
        checkToken('dialog token', token);
        return read(await redis.get(keys.dialog(token)));
      });
    },
    getAndExpire(token, ttlMs) {
      return call(async () => {
        checkToken('dialog token', token);
        checkTtl('ttlMs', ttlMs);
        return read(await redis.getex(keys.dialog(token), 'PX', ttlMs));
      });
    },
    refresh(token, dialogExpireMs) {
      return call(async () => {
        checkToken('dialog token', token);
        checkTtl('dialogExpireMs', dialogExpireMs);
        return await redis.pexpire(keys.dialog(token), dialogExpireMs) === 1;
      });
    },
    delete(token) {
      return call(async () => {
        checkToken('dialog token', token);
        return await redis.del(keys.dialog(token)) === 1;
      });
    },
    putBranch(token, branchId, data, branchExpireMs) {
      return call(async () => {
        checkToken('dialog token', token);
        checkNonEmpty('branchId', branchId);
        checkTtl('branchExpireMs', branchExpireMs);
        await redis.set(keys.dialogBranch(token, branchId), JSON.stringify(data), 'PX', branchExpireMs);
      });
    },
    getBranch(token, branchId) {
      return call(async () => {
        checkToken('dialog token', token);
        checkNonEmpty('branchId', branchId);
        return read(await redis.get(keys.dialogBranch(token, branchId)));
      });
    },
  };
}
