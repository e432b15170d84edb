// The Lua scripts behind each registry write, so a write is one round trip and atomic: the binding,
// its list bucket, its pod's count and the invalidation message never disagree. Every key of one
// call lives in one slot group (redisKeys.ts), so a script runs on one Cluster node. Expiry times come
// from Redis's own clock (TIME), the same clock that expires the binding keys, so counts agree
// across replicas whose clocks differ.
//
// Live sessions per pod are counted by expiry window (ARGV "window", ttl/64): a session is counted
// in the window its expiry falls in, and its list bucket entry is scored by that window (a small
// integer, which Redis stores in 4 bytes instead of a 9-byte millisecond time). Windows that have
// ended are dropped, so a count includes at most the sessions that expired within the current window.
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
local function window_of(ms, window_ms)
  return math.floor(ms / window_ms)
end
-- Takes a session out of its pod's count. Bindings written before bucket entries existed have none
-- and were never counted.
local function uncount(counts, bucket, id, pod)
  local w = redis.call('ZSCORE', bucket, id)
  if not w then return end
  local field = w .. ' ' .. pod
  if redis.call('HINCRBY', counts, field, -1) <= 0 then redis.call('HDEL', counts, field) end
end
`;

/** Used by put and touch: KEYS[2..4] and ARGV[2..5] as documented on putBinding. */
const INDEXING = `
-- Index keys live at least as long as the newest binding in them, so an idle deployment leaves nothing behind.
local function extend(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
-- Drops the bucket's entries whose window has ended (their bindings have expired).
local function index(ttl, now, pod)
  local window_ms = tonumber(ARGV[5])
  local w = window_of(now + ttl, window_ms)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. window_of(now, window_ms))
  redis.call('ZADD', KEYS[2], w, ARGV[3])
  redis.call('HINCRBY', KEYS[3], w .. ' ' .. pod, 1)
  redis.call('SADD', KEYS[4], ARGV[6])
  for i = 2, 4 do extend(KEYS[i], ttl) end
end
`;

/**
 * KEYS: binding, list bucket, pod counts, servers (one slot group).
 * ARGV: value, ttlMs, id as a list member (redisKeys.ts listMember), pod, count window (ms), server,
 * channel, invalidation message.
 * A re-bind to another pod moves its count and tells other replicas' caches.
 */
export const putBinding = new LuaScript(`${COMMON}${INDEXING}
local ttl = tonumber(ARGV[2])
local now = now_ms()
local old = redis.call('GET', KEYS[1])
if old then
  local old_pod = pod_of(old)
  uncount(KEYS[3], KEYS[2], ARGV[3], old_pod)
  if old_pod ~= ARGV[4] then redis.call('PUBLISH', ARGV[7], ARGV[8]) end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
index(ttl, now, ARGV[4])
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
uncount(KEYS[3], KEYS[2], ARGV[3], ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
index(ttl, now_ms(), ARGV[4])
return 1
`);

/**
 * KEYS: binding, list bucket, pod counts. ARGV: id as a list member, channel, message.
 * Returns the removed binding's value, or nil.
 */
export const deleteBinding = new LuaScript(`${COMMON}
local old = redis.call('GET', KEYS[1])
if not old then return false end
redis.call('DEL', KEYS[1])
uncount(KEYS[3], KEYS[2], ARGV[1], pod_of(old))
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return old
`);

/**
 * KEYS: servers (one group). ARGV: the group's pod counts key prefix. Returns the servers that still
 * have a pod counts hash (it goes with their last session) and forgets the others, so listings
 * stop visiting servers long gone.
 */
export const listedServers = new LuaScript(`
local out = {}
for _, server in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. server) == 1 then out[#out + 1] = server else redis.call('SREM', KEYS[1], server) end
end
return out
`);

/**
 * KEYS: pod counts. ARGV: count window (ms). Drops the windows that have ended, then returns
 * [pod, count, ...] for pods with live sessions.
 */
export const countLivePerPod = new LuaScript(`${COMMON}
local current = window_of(now_ms(), tonumber(ARGV[1]))
local fields = redis.call('HGETALL', KEYS[1])
local sums, pods, ended = {}, {}, {}
for i = 1, #fields, 2 do
  local window, pod = string.match(fields[i], '^(%d+) (.+)$')
  if not window or tonumber(window) < current then
    ended[#ended + 1] = fields[i]
  else
    if not sums[pod] then pods[#pods + 1] = pod; sums[pod] = 0 end
    sums[pod] = sums[pod] + tonumber(fields[i + 1])
  end
end
for i = 1, #ended, 1000 do redis.call('HDEL', KEYS[1], unpack(ended, i, math.min(i + 999, #ended))) end
local out = {}
for _, pod in ipairs(pods) do
  if sums[pod] > 0 then
    out[#out + 1] = pod
    out[#out + 1] = sums[pod]
  end
end
return out
`);
