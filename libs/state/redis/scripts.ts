// Lua scripts of the Redis backend, registered once per connection with
// ioredis defineCommand (EVALSHA, EVAL on NOSCRIPT). Each is one round trip.
// Expiring sets score members by the Redis server clock (TIME), so node
// clocks never disagree about what has expired. Every script touches one
// Redis Cluster slot: its keys share a hash tag (keys.ts); the table dump
// script reaches entry keys built from a prefix keys.ts hands in, which carries
// the same tag as the index stripe it walks.
import { sendFollowingRedirects, type RedisClient } from './client.ts';

const NOW = `local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Keeps an expiring-set key alive exactly as long as its latest member. */
const KEEP_ALIVE = `local function keep_alive(zkey, now, also)
  local last = redis.call('ZRANGE', zkey, -1, -1, 'WITHSCORES')
  if #last == 0 then
    if also then redis.call('DEL', also) end
    return
  end
  if last[2] == 'inf' then
    redis.call('PERSIST', zkey)
    if also then redis.call('PERSIST', also) end
    return
  end
  local ms = math.max(1, math.ceil(tonumber(last[2]) - now))
  redis.call('PEXPIRE', zkey, ms)
  if also then redis.call('PEXPIRE', also, ms) end
end
`;

export const SCRIPTS = {
  // KEYS[1] window zset; ARGV[1] ttl ms; ARGV[2..] member, delta pairs -> totals
  sbcCounterAdd: `
local out = {}
for i = 2, #ARGV, 2 do
  out[#out + 1] = redis.call('ZINCRBY', KEYS[1], ARGV[i + 1], ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return out`,

  // KEYS[1] entry -> {value, pttl} or nil
  sbcTableGet: `
local v = redis.call('GET', KEYS[1])
if not v then return nil end
return {v, redis.call('PTTL', KEYS[1])}`,

  // KEYS[1] entry, KEYS[2] index; ARGV value, ttl ms ('' = none), member -> pttl
  sbcTableSet: NOW + KEEP_ALIVE + `
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[2], 'inf', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
end
keep_alive(KEYS[2], now, nil)
return redis.call('PTTL', KEYS[1])`,

  // KEYS[1] entry, KEYS[2] index; ARGV member -> 1 if it existed
  sbcTableDelete: NOW + KEEP_ALIVE + `
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
keep_alive(KEYS[2], now_ms(), nil)
return n`,

  // KEYS[1] entry, KEYS[2] index; ARGV by, ttl ms, member -> {value, pttl}
  // The TTL is set only on creation: a fixed window from the first increment.
  sbcTableIncr: NOW + KEEP_ALIVE + `
local now = now_ms()
local existed = redis.call('EXISTS', KEYS[1])
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[3])
  keep_alive(KEYS[2], now, nil)
end
return {v, redis.call('PTTL', KEYS[1])}`,

  // KEYS[1] index; ARGV entry key prefix, member prefix -> {member, value, pttl, ...}
  sbcTableDump: NOW + `
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
local want = ARGV[2]
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if want == '' or string.sub(m, 1, #want) == want then
    local k = ARGV[1] .. m
    local v = redis.call('GET', k)
    if v then
      out[#out + 1] = m
      out[#out + 1] = v
      out[#out + 1] = redis.call('PTTL', k)
    else
      redis.call('ZREM', KEYS[1], m)
    end
  end
end
return out`,

  // KEYS[1] index -> live entry count
  sbcTableCount: NOW + `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
return redis.call('ZCARD', KEYS[1])`,

  // KEYS[1] dest zset; ARGV callId, ttl ms -> count
  sbcLoadStart: NOW + KEEP_ALIVE + `
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
keep_alive(KEYS[1], now, nil)
return redis.call('ZCARD', KEYS[1])`,

  // KEYS dest zsets; ARGV callId, ttl ms, then one limit per dest (0 = none)
  // -> {index (1-based), count, counts of every dest...} or nil when all are full
  sbcLoadStartLeast: NOW + KEEP_ALIVE + `
local now = now_ms()
local deadline = now + tonumber(ARGV[2])
local function all_counts(out)
  for j = 1, #KEYS do out[#out + 1] = redis.call('ZCARD', KEYS[j]) end
  return out
end
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
end
for i = 1, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[1]) then
    -- retransmitted INVITE: same destination as before
    redis.call('ZADD', KEYS[i], deadline, ARGV[1])
    keep_alive(KEYS[i], now, nil)
    return all_counts({i, redis.call('ZCARD', KEYS[i])})
  end
end
local best, best_n = 0, 0
for i = 1, #KEYS do
  local n = redis.call('ZCARD', KEYS[i])
  local max = tonumber(ARGV[2 + i])
  if (max == 0 or n < max) and (best == 0 or n < best_n) then
    best, best_n = i, n
  end
end
if best == 0 then return nil end
redis.call('ZADD', KEYS[best], deadline, ARGV[1])
keep_alive(KEYS[best], now, nil)
return all_counts({best, best_n + 1})`,

  // KEYS dest zsets; ARGV callId -> 1-based index of the dest that counted it, 0 if none
  sbcLoadEndAny: NOW + KEEP_ALIVE + `
local now = now_ms()
for i = 1, #KEYS do
  if redis.call('ZREM', KEYS[i], ARGV[1]) == 1 then
    keep_alive(KEYS[i], now, nil)
    return i
  end
end
return 0`,

  // KEYS[1] members zset, KEYS[2..1+nWant] wanted lease keys, the rest to release;
  // ARGV member, ttl ms, nWant -> {members..., '', owned indexes (1-based into want)...}
  sbcLeaseSync: NOW + KEEP_ALIVE + `
local now = now_ms()
local ttl = tonumber(ARGV[2])
local nwant = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
keep_alive(KEYS[1], now, nil)
for i = 2 + nwant, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
local out = redis.call('ZRANGE', KEYS[1], 0, -1)
out[#out + 1] = ''
for i = 2, 1 + nwant do
  local h = redis.call('GET', KEYS[i])
  if not h or h == ARGV[1] then
    redis.call('SET', KEYS[i], ARGV[1], 'PX', ttl)
    out[#out + 1] = tostring(i - 1)
  end
end
return out`,

  // KEYS[1] claimed name; ARGV holder -> 1 when it was the holder's and is gone
  sbcClaimRelease: `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,

  // KEYS[1] members zset, KEYS[2..] held lease keys; ARGV member
  sbcLeaseLeave: `
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1`,

  // KEYS[1] dest zset; ARGV callId, ttl ms -> 1 if still counted
  sbcLoadRefresh: NOW + KEEP_ALIVE + `
local now = now_ms()
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) <= now then
  if s then redis.call('ZREM', KEYS[1], ARGV[1]) end
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
keep_alive(KEYS[1], now, nil)
return 1`,

  // KEYS[1] dest zset; ARGV callId -> count after removal
  sbcLoadEnd: NOW + KEEP_ALIVE + `
local now = now_ms()
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
keep_alive(KEYS[1], now, nil)
return redis.call('ZCARD', KEYS[1])`,

  // KEYS dest zsets -> counts
  sbcLoadCounts: NOW + `
local now = now_ms()
local out = {}
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  out[i] = redis.call('ZCARD', KEYS[i])
end
return out`,

  // KEYS[1] bindings hash, KEYS[2] expiry zset;
  // ARGV op ('save'|'remove'|'lookup'), uri, ttl ms, callId, cseq, instance, regId, json, maxContacts (0 = none)
  // -> {status (1 ok, 2 stale-cseq, 3 too-many), server now, uri, value, expiry, ...}
  // Hash values are "<updated ms>|<json>"; the json holds callId, cseq, instance, regId.
  sbcLocation: NOW + KEEP_ALIVE + `
local now = now_ms()
local function meta(v)
  return cjson.decode(string.sub(v, string.find(v, '|', 1, true) + 1))
end
local function drop(uri)
  redis.call('HDEL', KEYS[1], uri)
  redis.call('ZREM', KEYS[2], uri)
end
for _, uri in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do drop(uri) end
local op, uri = ARGV[1], ARGV[2]
local status = 1
if op == 'remove' then
  drop(uri)
elseif op == 'save' then
  local ttl, cseq, inst, regid, max = tonumber(ARGV[3]), tonumber(ARGV[5]), ARGV[6], ARGV[7], tonumber(ARGV[9])
  local cur = redis.call('HGET', KEYS[1], uri)
  if cur then
    local m = meta(cur)
    if m.callId == ARGV[4] and tonumber(m.cseq) >= cseq then status = 2 end
  end
  if status == 1 and ttl <= 0 then
    drop(uri)
  elseif status == 1 then
    local replaced = {}
    if inst ~= '' and regid ~= '' then
      local all = redis.call('HGETALL', KEYS[1])
      for i = 1, #all, 2 do
        if all[i] ~= uri then
          local m = meta(all[i + 1])
          if m.instance == inst and m.regId ~= nil and tonumber(m.regId) == tonumber(regid) then
            replaced[#replaced + 1] = all[i]
          end
        end
      end
    end
    if (not cur) and max > 0 and redis.call('HLEN', KEYS[1]) - #replaced >= max then
      status = 3
    else
      for _, r in ipairs(replaced) do drop(r) end
      redis.call('HSET', KEYS[1], uri, tostring(now) .. '|' .. ARGV[8])
      redis.call('ZADD', KEYS[2], now + ttl, uri)
    end
  end
end
keep_alive(KEYS[2], now, KEYS[1])
local out = {status, now}
local live = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #live, 2 do
  local v = redis.call('HGET', KEYS[1], live[i])
  if v then
    out[#out + 1] = live[i]
    out[#out + 1] = v
    out[#out + 1] = live[i + 1]
  end
end
return out`,

  // KEYS[1] bindings hash, KEYS[2] expiry zset -> live bindings removed
  sbcLocationClear: NOW + `
local n = redis.call('ZCOUNT', KEYS[2], '(' .. now_ms(), '+inf')
redis.call('DEL', KEYS[1], KEYS[2])
return n`,

  // KEYS[1] docs hash, KEYS[2] versions hash; ARGV kind, doc, version -> {1, version} | {0, current}
  sbcConfigPut: `
local cur = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
local v = tonumber(ARGV[3])
if v <= cur then return {0, cur} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return {1, v}`,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

type ScriptFn = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

interface Defined {
  fn: ScriptFn;
  /** set until auto-pipelines created before the definition have left (see below) */
  settling?: Promise<void>;
}

/** Script commands defined on each client, by name and number of keys. */
const defined = new WeakMap<RedisClient, Map<string, Defined>>();

/**
 * Runs a script: one EVALSHA (EVAL on NOSCRIPT), in the same write as the
 * other commands of its turn. Each (script, key count) is defined once per
 * client with a fixed numberOfKeys, so the first argument ioredis sees is the
 * first key: a Redis Cluster routes the command by that key's slot (with the
 * key count first, every script would go to the slot of "1").
 * Definitions are made on first use (call-load scripts take one key per
 * gateway). On a client that auto-pipelines (the backend's clients do not;
 * scripts.test.ts keeps the case covered) an auto-pipeline copies the scripts defined when it was created,
 * so the first calls of a new definition wait until every auto-pipeline that
 * existed at the definition has been sent. One setImmediate is not enough: a
 * slot's pipeline queued behind a running one stays open longer, and a call
 * joining it crashed the process inside ioredis ("pipeline[functionName] is
 * not a function", then "results[i] is not iterable").
 */
export function runScript(redis: RedisClient, name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  let fns = defined.get(redis);
  if (!fns) { fns = new Map(); defined.set(redis, fns); }
  const cmd = `${name}_${keys.length}`;
  let d = fns.get(cmd);
  if (!d) {
    redis.defineCommand(cmd, { lua: SCRIPTS[name], numberOfKeys: keys.length });
    const entry: Defined = { fn: (redis as unknown as Record<string, ScriptFn>)[cmd] };
    entry.settling = olderPipelinesSent(redis).then(() => { entry.settling = undefined; });
    fns.set(cmd, entry);
    d = entry;
  }
  const { fn, settling } = d;
  const send = () => sendFollowingRedirects(redis, () => fn.call(redis, ...keys, ...args));
  return settling ? settling.then(send) : send();
}

/** Resolves once none of the client's auto-pipelines open now is still waiting to be sent (ioredis keeps them in `_autoPipelines` until it executes them). */
function olderPipelinesSent(redis: RedisClient): Promise<void> {
  const open = (redis as unknown as { _autoPipelines?: Map<string, unknown> })._autoPipelines;
  if (open === undefined || open.size === 0) return Promise.resolve();
  const older = new Set(open.values());
  return new Promise<void>((resolve) => {
    const check = () => {
      for (const p of open.values()) if (older.has(p)) { setImmediate(check); return; }
      resolve();
    };
    setImmediate(check);
  });
}
