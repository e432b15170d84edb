// The Lua scripts behind each registry write, so a write is one round trip and atomic: the binding,
// its pod's live set, the list index and the invalidation message never disagree. Every key of one
// call lives in one slot group (redisKeys.ts), so a script runs on one Cluster node. Scores are
// expiry times from Redis's own clock (TIME), the same clock that expires the binding keys, so
// counts stay exact across replicas whose clocks differ.
import { LuaScript } from '../store/index.js';

const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The pod a stored binding names: the first token (codec.ts), or the pod field of an older JSON value.
local function pod_of(v)
  if string.sub(v, 1, 1) == '{' then return cjson.decode(v).pod end
  return string.match(v, '^(%S+)')
end
-- Drops expired ids from a pod set and their entries from the list index, 256 at a time, at most
-- max (writes prune a few per call: enough to keep up with arrivals; live counts prune them all).
local function prune(pod_set, list_index, server, now, max)
  local done = 0
  while done < max do
    local dead = redis.call('ZRANGE', pod_set, '-inf', now, 'BYSCORE', 'LIMIT', 0, math.min(256, max - done))
    if #dead == 0 then return end
    redis.call('ZREM', pod_set, unpack(dead))
    for i, id in ipairs(dead) do dead[i] = server .. ' ' .. id end
    redis.call('ZREM', list_index, unpack(dead))
    done = done + #dead
  end
end
`;

/** Used by put and touch: KEYS[2..4] and ARGV[3..6] as documented on putBinding. */
const INDEXING = `
-- Index keys live at least as long as the newest binding in them, so an idle deployment leaves nothing behind.
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
local function index(ttl, now)
  local exp = now + ttl
  prune(KEYS[2], KEYS[4], ARGV[6], now, 32)
  redis.call('ZADD', KEYS[2], exp, ARGV[3])
  redis.call('ZADD', KEYS[3], 'GT', exp, ARGV[4])
  redis.call('ZADD', KEYS[4], 0, ARGV[5])
  for i = 2, 4 do extend(KEYS[i], ttl) end
end
`;

/**
 * KEYS: binding, pod set, pods index, list index (one slot group).
 * ARGV: value, ttlMs, id, pod, list position, server, pod key prefix, channel, invalidation message.
 * A re-bind to another pod leaves the old pod's set and tells other replicas' caches.
 */
export const putBinding = new LuaScript(`${COMMON}${INDEXING}
local ttl = tonumber(ARGV[2])
local now = now_ms()
local old = redis.call('GET', KEYS[1])
if old then
  local old_pod = pod_of(old)
  if old_pod ~= ARGV[4] then
    redis.call('ZREM', ARGV[7] .. old_pod, ARGV[3])
    redis.call('PUBLISH', ARGV[8], ARGV[9])
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
index(ttl, now)
return 1
`);

/**
 * KEYS and ARGV[1..6] as putBinding. Writes only if the binding still exists on the same pod, so a
 * stale copy never recreates a deleted session. Returns 1 if written, 0 if not.
 */
export const touchBinding = new LuaScript(`${COMMON}${INDEXING}
local old = redis.call('GET', KEYS[1])
if not old or pod_of(old) ~= ARGV[4] then return 0 end
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
index(ttl, now_ms())
return 1
`);

/**
 * KEYS: binding, list index. ARGV: pod key prefix, id, list position, channel, message.
 * Returns the removed binding's value, or nil.
 */
export const deleteBinding = new LuaScript(`${COMMON}
local old = redis.call('GET', KEYS[1])
if not old then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. pod_of(old), ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return old
`);

/**
 * KEYS: pod set, pods index, list index (one slot group). ARGV: binding key prefix, pod, server, channel.
 * Returns the removed bindings as [id, value, id, value, ...].
 */
export const deletePodBindings = new LuaScript(`${COMMON}
local removed, ids = {}, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local v = redis.call('GET', key)
  if v and pod_of(v) == ARGV[2] then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[3], ARGV[3] .. ' ' .. id)
    removed[#removed + 1] = id
    removed[#removed + 1] = v
    ids[#ids + 1] = id
  end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if #ids > 0 then redis.call('PUBLISH', ARGV[4], cjson.encode({ server = ARGV[3], ids = ids })) end
return removed
`);

/**
 * KEYS: pods index, list index (one slot group). ARGV: pod key prefix, server. Prunes expired
 * entries, then returns [pod, count, ...] for pods with live sessions.
 */
export const countLivePerPod = new LuaScript(`${COMMON}
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, pod in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. pod
  prune(key, KEYS[2], ARGV[2], now, math.huge)
  local n = redis.call('ZCARD', key)
  if n > 0 then
    out[#out + 1] = pod
    out[#out + 1] = n
  else
    redis.call('ZREM', KEYS[1], pod)
  end
end
return out
`);
