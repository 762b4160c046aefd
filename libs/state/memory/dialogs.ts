// topos dialog and branch records in MemoryData (stored as JSON, like Redis).
import type { DialogRecord, DialogStore } from '../types.ts';
import { checkNonEmpty, checkToken, checkTtl } from '../validate.ts';
import { live, type MemoryData } from './data.ts';

export function memoryDialogs(data: MemoryData, now: () => number): DialogStore {
  const read = (s: string | undefined): DialogRecord | null => (s === undefined ? null : JSON.parse(s) as DialogRecord);
  const putBranch = (token: string, branchId: string, rec: DialogRecord, ttl: number) => {
    let m = data.branches.get(token);
    if (!m) { m = new Map(); data.branches.set(token, m); }
    m.set(branchId, { value: JSON.stringify(rec), expiresAt: now() + ttl });
  };
  /** the live dialog entry with its expiry moved to now + ttl (EXPIRE / GETEX), or undefined */
  const extend = (token: string, ttlName: string, ttl: number) => {
    checkToken('dialog token', token);
    checkTtl(ttlName, ttl);
    const e = data.dialogs.get(token);
    if (!live(e, now())) return undefined;
    e.expiresAt = now() + ttl;
    return e;
  };
  return {
    async put(token, record, opts) {
      checkToken('dialog token', token);
      checkTtl('dialogExpireMs', opts.dialogExpireMs);
      checkTtl('branchExpireMs', opts.branchExpireMs);
      if (opts.branch) checkNonEmpty('branchId', opts.branch.branchId);
      data.dialogs.set(token, { value: JSON.stringify(record), expiresAt: now() + opts.dialogExpireMs });
      if (opts.branch) putBranch(token, opts.branch.branchId, opts.branch.data, opts.branchExpireMs);
    },
    async get(token) {
      checkToken('dialog token', token);
      const e = data.dialogs.get(token);
      return live(e, now()) ? read(e.value) : null;
    },
    async getAndExpire(token, ttlMs) {
      const e = extend(token, 'ttlMs', ttlMs);
      return e === undefined ? null : read(e.value);
    },
    async refresh(token, dialogExpireMs) {
      return extend(token, 'dialogExpireMs', dialogExpireMs) !== undefined;
    },
    async delete(token) {
      checkToken('dialog token', token);
      const e = data.dialogs.get(token);
      data.dialogs.delete(token);
      return live(e, now());
    },
    async putBranch(token, branchId, rec, branchExpireMs) {
      checkToken('dialog token', token);
      checkNonEmpty('branchId', branchId);
      checkTtl('branchExpireMs', branchExpireMs);
      putBranch(token, branchId, rec, branchExpireMs);
    },
    async getBranch(token, branchId) {
      checkToken('dialog token', token);
      checkNonEmpty('branchId', branchId);
      const e = data.branches.get(token)?.get(branchId);
      return live(e, now()) ? read(e.value) : null;
    },
  };
}
