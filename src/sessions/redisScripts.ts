// The Lua scripts behind each registry write, so a write is one round trip and atomic: the binding,
// its list bucket, its pod's count and the invalidation message never disagree. Every key of one
// call lives in one slot group (redisKeys.ts), so a script runs on one Cluster node. Expiry times come
// from Redis's own clock (TIME), the same clock that expires the binding keys, so counts agree
// across replicas whose clocks differ.
//
// Live sessions per pod are counted by expiry window (ttl/64): each session counts in the window
// its expiry falls in, in that window's hash (pod → count) and in the server's totals (pod →
// count). Its list bucket entry is scored by that window (a small integer, which Redis stores in 4
// bytes instead of a 9-byte millisecond time), so a touch, re-bind or end takes it out of the right
// one. Every script first subtracts the windows that have ended from the totals, once each (the
// totals' " m" field marks how far), so a count costs one field per pod and includes at most the
// sessions that expired within the current window.
//
// Every script's ARGV starts with the window (ms) and the window hashes' key prefix.
import { LuaScript } from '../store/index.js';

const COMMON = `
local WINDOW_MS = tonumber(ARGV[1])
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The pod a stored binding names: the first token (codec.ts), or the pod field of an older JSON value.
local function pod_of(v)
  if string.sub(v, 1, 1) == '{' then return cjson.decode(v).pod end
  return string.match(v, '^(%S+)')
end
local function window_of(ms)
  return math.floor(ms / WINDOW_MS)
end
local function incr(key, field, n)
  if redis.call('HINCRBY', key, field, n) <= 0 then redis.call('HDEL', key, field) end
end
-- Subtracts the windows that have ended since the mark from the totals, then moves the mark. With
-- no mark (no totals yet, or they went with their last session) no window is pending, and only a
-- write (create) starts them. Returns the current window.
local function advance(totals, now, create)
  local current = window_of(now)
  local mark = tonumber(redis.call('HGET', totals, ' m'))
  if mark == current or (not mark and not create) then return current end
  if mark then
    for w = math.max(mark, current - 70), current - 1 do
      local key = ARGV[2] .. w
      local fields = redis.call('HGETALL', key)
      for i = 1, #fields, 2 do incr(totals, fields[i], -tonumber(fields[i + 1])) end
      redis.call('DEL', key)
    end
  end
  redis.call('HSET', totals, ' m', current)
  return current
end
-- Totals holding only the mark count nothing: dropped, so a server without sessions leaves no key.
local function forget_if_empty(totals)
  if redis.call('HLEN', totals) == 1 then redis.call('DEL', totals) end
end
-- Takes a session out of its pod's count, unless its window has ended (then advance already did).
-- Bindings written before bucket entries existed have none and were never counted.
local function uncount(totals, bucket, member, pod, current)
  local w = tonumber(redis.call('ZSCORE', bucket, member))
  if not w or w < current then return end
  incr(ARGV[2] .. w, pod, -1)
  incr(totals, pod, -1)
end
`;

/** Used by put and touch: KEYS and ARGV[3..7] as documented on putBinding. */
const WRITING = `
local ttl = tonumber(ARGV[4])
local member, pod = ARGV[5], ARGV[6]
-- Index keys live at least as long as the newest binding in them, so an idle deployment leaves
-- nothing behind; a window's hash outlives the totals that may still need it.
local function extend(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
-- Writes the binding and counts it in its new window; drops the bucket's entries whose window has
-- ended (their bindings have expired).
local function write(now, current)
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ttl)
  local w = window_of(now + ttl)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. current)
  redis.call('ZADD', KEYS[2], w, member)
  redis.call('HINCRBY', ARGV[2] .. w, pod, 1)
  extend(ARGV[2] .. w, 2 * ttl + 4 * WINDOW_MS)
  redis.call('HINCRBY', KEYS[3], pod, 1)
  redis.call('SADD', KEYS[4], ARGV[7])
  for i = 2, 4 do extend(KEYS[i], ttl) end
end
`;

/**
 * KEYS: binding, list bucket, pod totals, servers (one slot group).
 * ARGV: window (ms), window key prefix, value, ttlMs, id as a list member (redisKeys.ts
 * listMember), pod, server, channel, invalidation message.
 * A re-bind to another pod moves its count and tells other replicas' caches.
 */
export const putBinding = new LuaScript(`${COMMON}${WRITING}
local now = now_ms()
local current = advance(KEYS[3], now, true)
local old = redis.call('GET', KEYS[1])
if old then
  local old_pod = pod_of(old)
  uncount(KEYS[3], KEYS[2], member, old_pod, current)
  if old_pod ~= pod then redis.call('PUBLISH', ARGV[8], ARGV[9]) end
end
write(now, current)
return 1
`);

/**
 * KEYS and ARGV[1..7] as putBinding. Writes only if the binding still exists on the same pod, so a
 * stale copy never recreates a deleted session. Returns 1 if written, 0 if not.
 */
export const touchBinding = new LuaScript(`${COMMON}${WRITING}
local old = redis.call('GET', KEYS[1])
if not old or pod_of(old) ~= pod then return 0 end
local now = now_ms()
local current = advance(KEYS[3], now, true)
uncount(KEYS[3], KEYS[2], member, pod, current)
write(now, current)
return 1
`);

/**
 * KEYS: binding, list bucket, pod totals. ARGV: window (ms), window key prefix, id as a list member,
 * channel, message. Returns the removed binding's value, or nil.
 */
export const deleteBinding = new LuaScript(`${COMMON}
local old = redis.call('GET', KEYS[1])
if not old then return false end
redis.call('DEL', KEYS[1])
uncount(KEYS[3], KEYS[2], ARGV[3], pod_of(old), advance(KEYS[3], now_ms(), false))
forget_if_empty(KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return old
`);

/**
 * KEYS: servers (one group). ARGV: the group's pod totals key prefix. Returns the servers that still
 * have pod totals (they expire with their last session) and forgets the others, so listings stop
 * visiting servers long gone.
 */
export const listedServers = new LuaScript(`
local out = {}
for _, server in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. server) == 1 then out[#out + 1] = server else redis.call('SREM', KEYS[1], server) end
end
return out
`);

/** KEYS: pod totals. ARGV: window (ms), window key prefix. Returns [pod, count, ...] for pods with live sessions. */
export const countLivePerPod = new LuaScript(`${COMMON}
advance(KEYS[1], now_ms(), false)
forget_if_empty(KEYS[1])
local fields = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #fields, 2 do
  if fields[i] ~= ' m' then
    out[#out + 1] = fields[i]
    out[#out + 1] = tonumber(fields[i + 1])
  end
end
return out
`);
