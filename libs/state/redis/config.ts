// Cluster config: documents and their versions in two hashes (no TTL: the
// set of kinds is small and fixed by the code).
import { sendFollowingRedirects, type RedisClient } from './client.ts';
import type { KeySpace } from '../keys.ts';
import type { ConfigDoc, ConfigStore } from '../types.ts';
import { checkInt, checkNonEmpty } from '../validate.ts';
import { call } from './errors.ts';
import { runScript } from './scripts.ts';

export function redisConfig(redis: RedisClient, keys: KeySpace): ConfigStore {
  const send = <T>(cmd: () => Promise<T>) => sendFollowingRedirects(redis, cmd);
  return {
    get(kind) {
      return call(async () => {
        checkNonEmpty('config kind', kind);
        // Same tick: one pipelined write.
        const [doc, ver] = await Promise.all([send(() => redis.hget(keys.configDocs(), kind)), send(() => redis.hget(keys.configVersions(), kind))]);
        return doc === null || ver === null ? null : { kind, doc, version: Number(ver) };
      });
    },
    put(kind, doc, version) {
      return call(async () => {
        checkNonEmpty('config kind', kind);
        checkInt('config version', version, 0);
        const [ok, v] = await runScript(redis, 'sbcConfigPut', [keys.configDocs(), keys.configVersions()], [kind, doc, version]) as [number, number];
        return ok === 1 ? { ok: true as const, version: v } : { ok: false as const, current: v };
      });
    },
    list() {
      return call(async () => {
        const [docs, vers] = await Promise.all([send(() => redis.hgetall(keys.configDocs())), send(() => redis.hgetall(keys.configVersions()))]);
        const out: ConfigDoc[] = [];
        for (const kind of Object.keys(docs).sort()) {
          if (vers[kind] !== undefined) out.push({ kind, doc: docs[kind], version: Number(vers[kind]) });
        }
        return out;
      });
    },
  };
}
