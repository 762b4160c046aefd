// htable-like tables in MemoryData.
import { detachedCopy } from '#libs/strings';
import { StateError } from '../errors.ts';
import type { IncrResult, TableEntry, TableStore } from '../types.ts';
import { checkInt, checkNonEmpty, checkTable, checkTtl } from '../validate.ts';
import { live, type Expiring, type MemoryData } from './data.ts';

const INTEGER = /^-?\d{1,19}$/;

export function memoryTables(data: MemoryData, now: () => number): TableStore {
  const table = (name: string, create: boolean) => {
    let t = data.tables.get(name);
    if (!t && create) { t = new Map(); data.tables.set(name, t); }
    return t;
  };
  const entry = (key: string, e: Expiring<string>, t: number): TableEntry =>
    ({ key, value: e.value, expiresAt: e.expiresAt, ttlMs: e.expiresAt === null ? null : e.expiresAt - t });
  const check = (name: string, key: string) => { checkTable(name); checkNonEmpty('table key', key); };

  return {
    async get(name, key) {
      check(name, key);
      const t = now();
      const e = table(name, false)?.get(key);
      return live(e, t) ? entry(key, e, t) : null;
    },
    async set(name, key, value, ttlMs) {
      check(name, key);
      if (ttlMs !== undefined) checkTtl('ttlMs', ttlMs);
      const t = now();
      // (copies: a key or value may be a slice of the message it came from)
      const e = { value: detachedCopy(String(value)), expiresAt: ttlMs === undefined ? null : t + ttlMs };
      table(name, true)!.set(detachedCopy(key), e);
      return entry(key, e, t);
    },
    async delete(name, key) {
      check(name, key);
      const m = table(name, false);
      const e = m?.get(key);
      m?.delete(key);
      return live(e, now());
    },
    async incr(name, key, by, ttlMs): Promise<IncrResult> {
      check(name, key);
      checkInt('incr by', by);
      checkTtl('ttlMs', ttlMs);
      const t = now();
      const m = table(name, true)!;
      const e = m.get(key);
      if (live(e, t)) {
        if (!INTEGER.test(e.value) || !Number.isSafeInteger(Number(e.value))) throw new StateError('STATE_NOT_INTEGER', `${name}/${key} holds ${JSON.stringify(e.value)}`);
        e.value = String(Number(e.value) + by);
        return { value: Number(e.value), expiresAt: e.expiresAt };
      }
      const fresh = { value: String(by), expiresAt: t + ttlMs };
      m.set(detachedCopy(key), fresh);
      return { value: by, expiresAt: fresh.expiresAt };
    },
    async dump(name, prefix = '') {
      checkTable(name);
      const t = now();
      const out: TableEntry[] = [];
      for (const [k, e] of table(name, false) ?? []) {
        if (live(e, t) && k.startsWith(prefix)) out.push(entry(k, e, t));
      }
      return out;
    },
    async count(name) {
      checkTable(name);
      const t = now();
      let n = 0;
      for (const e of table(name, false)?.values() ?? []) if (live(e, t)) n++;
      return n;
    },
  };
}
