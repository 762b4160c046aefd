// Counter windows as one sorted set per window and stripe (member = key,
// score = count): a source's count lives in the stripe of its key, so pike's
// state spreads over Redis Cluster shards (keys.ts, "striped").
import type { CounterSink, WindowBatch } from '../counter-batch.ts';
import { STRIPES, type KeySpace } from '../keys.ts';
import type { CounterEntry } from '../types.ts';
import { sendFollowingRedirects, type RedisClient } from './client.ts';
import { call } from './errors.ts';
import { runScript } from './scripts.ts';

export function redisCounterSink(redis: RedisClient, keys: KeySpace, name: string, windowMs: number): CounterSink {
  const send = <T>(cmd: () => Promise<T>) => sendFollowingRedirects(redis, cmd);
  const key = (windowId: number, stripe: number) => keys.counterWindow(name, windowMs, windowId, stripe);
  /** One script per stripe touched; all issued in one turn, so they leave in
   *  one write per Redis server (client.ts). */
  const sendWindow = async ({ windowId, deltas }: WindowBatch): Promise<Map<string, number>> => {
    const byStripe = new Map<number, (string | number)[]>();
    for (const [k, d] of deltas) {
      const s = keys.stripeOf(k);
      let args = byStripe.get(s);
      if (!args) { args = [2 * windowMs]; byStripe.set(s, args); }
      args.push(k, d);
    }
    const out = new Map<string, number>();
    await Promise.all([...byStripe].map(async ([s, args]) => {
      const totals = await runScript(redis, 'sbcCounterAdd', [key(windowId, s)], args) as string[];
      for (let i = 0; i < totals.length; i++) out.set(args[1 + 2 * i] as string, Number(totals[i]));
    }));
    return out;
  };
  return {
    send(batches: WindowBatch[]) {
      return call(() => Promise.all(batches.map(sendWindow)));
    },
    total(windowId, k) {
      return call(async () => Number(await send(() => redis.zscore(key(windowId, keys.stripeOf(k)), k)) ?? 0));
    },
    top(windowId, n) {
      // The n hottest of each stripe hold the n hottest overall; ties in
      // ZREVRANGE's order (member desc), as one sorted set would give them.
      return call(async () => {
        const stripes = await Promise.all(Array.from({ length: STRIPES }, (_, s) => send(() => redis.zrevrange(key(windowId, s), 0, n - 1, 'WITHSCORES'))));
        const all: CounterEntry[] = [];
        for (const flat of stripes) for (let i = 0; i < flat.length; i += 2) all.push({ key: flat[i], count: Number(flat[i + 1]) });
        return all.sort((a, b) => b.count - a.count || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0)).slice(0, n);
      });
    },
  };
}
