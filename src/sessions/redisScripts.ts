// The Lua scripts behind each registry write, so a write is one round trip and atomic: the binding,
// its pod's live set, the list indexes and the invalidation message never disagree. Scores are
// expiry times from Redis's own clock (TIME), the same clock that expires the binding keys, so
// counts stay exact across replicas whose clocks differ.
import { LuaScript } from '../store/index.js';

const CLOCK = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Used by put and touch: KEYS[2..5] and ARGV[3..5] as documented on putBinding. */
const INDEXING = `
-- Index keys live at least as long as the newest binding in them, so an idle deployment leaves nothing behind.
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
-- Drops a few expired entries from the list indexes per write: enough to keep up with arrivals.
local function prune_list(list_index, expiry_index, now)
  local dead = redis.call('ZRANGE', expiry_index, '-inf', now, 'BYSCORE', 'LIMIT', 0, 32)
  if #dead > 0 then
    redis.call('ZREM', list_index, unpack(dead))
    redis.call('ZREM', expiry_index, unpack(dead))
  end
end
local function index(ttl, now)
  local exp = now + ttl
  redis.call('ZADD', KEYS[2], exp, ARGV[3])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[3], 'GT', exp, ARGV[4])
  redis.call('ZADD', KEYS[4], 0, ARGV[5])
  redis.call('ZADD', KEYS[5], exp, ARGV[5])
  for i = 2, 5 do extend(KEYS[i], ttl) end
end
`;

/**
 * KEYS: binding, pod set, pods index, list index, expiry index.
 * ARGV: json, ttlMs, id, pod, list position, pod key prefix, channel, invalidation message.
 * A re-bind to another pod leaves the old pod's set and tells other replicas' caches.
 */
export const putBinding = new LuaScript(`${CLOCK}${INDEXING}
local ttl = tonumber(ARGV[2])
local now = now_ms()
local old = redis.call('GET', KEYS[1])
if old then
  local old_pod = cjson.decode(old).pod
  if old_pod ~= ARGV[4] then
    redis.call('ZREM', ARGV[6] .. old_pod, ARGV[3])
    redis.call('PUBLISH', ARGV[7], ARGV[8])
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
index(ttl, now)
prune_list(KEYS[4], KEYS[5], now)
return 1
`);

/**
 * KEYS and ARGV[1..5] as putBinding. Writes only if the binding still exists on the same pod, so a
 * stale copy never recreates a deleted session. Returns 1 if written, 0 if not.
 */
export const touchBinding = new LuaScript(`${CLOCK}${INDEXING}
local old = redis.call('GET', KEYS[1])
if not old or cjson.decode(old).pod ~= ARGV[4] then return 0 end
local ttl = tonumber(ARGV[2])
local now = now_ms()
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
index(ttl, now)
prune_list(KEYS[4], KEYS[5], now)
return 1
`);

/**
 * KEYS: binding, list index, expiry index. ARGV: pod key prefix, id, list position, channel, message.
 * Returns the removed binding's JSON, or nil.
 */
export const deleteBinding = new LuaScript(`
local old = redis.call('GET', KEYS[1])
if not old then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. cjson.decode(old).pod, ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return old
`);

/**
 * KEYS: pod set, pods index, list index, expiry index. ARGV: binding key prefix, pod, server, channel.
 * Returns the removed bindings' JSON.
 */
export const deletePodBindings = new LuaScript(`
local removed, ids = {}, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local json = redis.call('GET', key)
  if json and cjson.decode(json).pod == ARGV[2] then
    redis.call('DEL', key)
    local position = ARGV[3] .. ' ' .. id
    redis.call('ZREM', KEYS[3], position)
    redis.call('ZREM', KEYS[4], position)
    removed[#removed + 1] = json
    ids[#ids + 1] = id
  end
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if #ids > 0 then redis.call('PUBLISH', ARGV[4], cjson.encode({ server = ARGV[3], ids = ids })) end
return removed
`);

/**
 * KEYS: pods index. ARGV: pod key prefix. Prunes expired entries, then returns [pod, count, ...]
 * for pods with live sessions.
 */
export const countLivePerPod = new LuaScript(`${CLOCK}
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {}
for _, pod in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. pod
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
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
