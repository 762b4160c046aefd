// htable entries: one string key with PX each, plus a sorted-set index
// scored by expiry so dump/count never need KEYS or SCAN. Both are striped by
// entry key (keys.ts): an entry and its index stripe share a slot, so each
// script touches one slot while a table spreads over Redis Cluster shards.
import type { RedisClient } from './client.ts';
import { STRIPES, type KeySpace } from '../keys.ts';
import type { TableEntry, TableStore } from '../types.ts';
import { checkInt, checkNonEmpty, checkTable, checkTtl } from '../validate.ts';
import { call } from './errors.ts';
import { runScript } from './scripts.ts';

export function redisTables(redis: RedisClient, keys: KeySpace, now: () => number): TableStore {
  const check = (table: string, key: string) => { checkTable(table); checkNonEmpty('table key', key); };
  const index = (table: string, key: string) => keys.tableIndex(table, keys.stripeOf(key));
  const allStripes = Array.from({ length: STRIPES }, (_, i) => i);
  const entry = (key: string, value: string, pttl: number, t: number): TableEntry =>
    pttl < 0 ? { key, value, expiresAt: null, ttlMs: null } : { key, value, expiresAt: t + pttl, ttlMs: pttl };

  return {
    get(table, key) {
      return call(async () => {
        check(table, key);
        const r = await runScript(redis, 'sbcTableGet', [keys.tableEntry(table, key)], []) as [string, number] | null;
        return r ? entry(key, r[0], r[1], now()) : null;
      });
    },
    set(table, key, value, ttlMs) {
      return call(async () => {
        check(table, key);
        if (ttlMs !== undefined) checkTtl('ttlMs', ttlMs);
        const v = String(value);
        const pttl = await runScript(redis, 'sbcTableSet', [keys.tableEntry(table, key), index(table, key)], [v, ttlMs ?? '', key]) as number;
        return entry(key, v, pttl, now());
      });
    },
    delete(table, key) {
      return call(async () => {
        check(table, key);
        return await runScript(redis, 'sbcTableDelete', [keys.tableEntry(table, key), index(table, key)], [key]) === 1;
      });
    },
    incr(table, key, by, ttlMs) {
      return call(async () => {
        check(table, key);
        checkInt('incr by', by);
        checkTtl('ttlMs', ttlMs);
        const [value, pttl] = await runScript(redis, 'sbcTableIncr', [keys.tableEntry(table, key), index(table, key)], [by, ttlMs, key]) as [number, number];
        return { value, expiresAt: pttl < 0 ? null : now() + pttl };
      });
    },
    dump(table, prefix = '') {
      return call(async () => {
        checkTable(table);
        // One script per stripe, issued in one tick (one write per server).
        const parts = await Promise.all(allStripes.map((s) =>
          runScript(redis, 'sbcTableDump', [keys.tableIndex(table, s)], [keys.tableEntryPrefix(table, s), prefix]) as Promise<(string | number)[]>));
        const t = now();
        const out: TableEntry[] = [];
        for (const flat of parts) for (let i = 0; i < flat.length; i += 3) out.push(entry(String(flat[i]), String(flat[i + 1]), Number(flat[i + 2]), t));
        return out;
      });
    },
    count(table) {
      return call(async () => {
        checkTable(table);
        const ns = await Promise.all(allStripes.map((s) => runScript(redis, 'sbcTableCount', [keys.tableIndex(table, s)], []) as Promise<number>));
        return ns.reduce((a, b) => a + b, 0);
      });
    },
  };
}
