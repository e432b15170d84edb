// The Lua side of the Redis engine. CHECK evaluates every limit of one request in one EVALSHA:
// phase 1 reads and decides each limit, phase 2 writes only if all admitted (all-or-nothing).
// The arithmetic mirrors algorithms.ts and anomaly.ts expression for expression; integers that
// can exceed 14 digits (µs timestamps) are written with %.0f because Lua's tostring rounds them.
import { LuaScript } from '../store/index.js';
import { CONCURRENCY_RETRY_MS, SESSION_CAP_RETRY_MS } from './algorithms.js';

const CHECK = `
local spec = cjson.decode(ARGV[1])
local now_us
if spec.now then
  now_us = spec.now * 1000
else
  -- Redis time: every replica reads the same clock, whatever its own says.
  local t = redis.call('TIME')
  now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local now = math.floor(now_us / 1000)
local commit = spec.mode == 'check'
local function int(x) return string.format('%.0f', x) end
local refused, retry = 0, 0
local an

local p = spec.an
if p and commit then
  local key = KEYS[p.key]
  local h = redis.call('HMGET', key, 'm', 'c', 'b', 'f')
  local minute = math.floor(now / 60000)
  local m, c, b, f = tonumber(h[1]) or minute, tonumber(h[2]) or 0, tonumber(h[3]) or -1, tonumber(h[4]) or 0
  if minute > m then
    local closing = c > p.factor * math.max(b, p.minB)
    if not closing then
      if b < 0 then b = c else b = b + p.alpha * (c - b) end
    end
    local quiet = minute - m - 1
    if quiet > 0 and b > 0 then b = b * math.pow(1 - p.alpha, quiet) end
    if closing and quiet == 0 then f = 1 else f = 0 end
    m = minute
    c = 0
  end
  c = c + 1
  local ref = math.max(b, p.minB)
  local threshold = p.factor * ref
  local flagged = c > threshold
  local throttled = p.throttle == 1 and (flagged or f == 1) and c > ref
  redis.call('HSET', key, 'm', int(m), 'c', int(c), 'b', string.format('%.17g', b), 'f', f)
  redis.call('PEXPIRE', key, p.ttl)
  local rt = (minute + 1) * 60000 - now
  an = { c = c, b = math.max(b, 0), fl = flagged and 1 or 0, nf = (flagged and c - 1 <= threshold) and 1 or 0, th = throttled and 1 or 0, rt = rt }
  if throttled then refused = -1; retry = rt end
end

local writes, states = {}, {}
for i, l in ipairs(spec.limits) do
  local key = KEYS[l.key]
  local n = l.n
  if l.ov > 0 then
    local o = tonumber(redis.call('HGET', KEYS[l.ov], l.name))
    if o then n = o end
  end
  local ok, rt, st
  if l.k == 'rate' then
    local T = math.ceil(l.per / n)
    local B = n
    if l.burst > 0 then B = math.max(1, math.floor((n * l.burst) / l.req + 0.5)) end
    local base = math.max(tonumber(redis.call('GET', key)) or 0, now_us)
    local nxt = base + l.cost * T
    local cap = B * T
    if nxt - now_us > cap then
      ok = false
      rt = math.ceil((nxt - cap - now_us) / 1000)
      st = { n, math.max(0, math.floor((cap - (base - now_us)) / T)), rt }
    else
      ok = true
      local reset = math.ceil((nxt - now_us) / 1000)
      st = { n, math.floor((cap - (nxt - now_us)) / T), reset }
      if l.cost > 0 then
        table.insert(writes, function() redis.call('SET', key, int(nxt), 'PX', reset) end)
      end
    end
  elseif l.k == 'window' then
    local W = l.w
    local idx = math.floor(now / W)
    local e = now - idx * W
    local h = redis.call('HMGET', key, 'i', 'c', 'p')
    local si, curr, prev = tonumber(h[1]), 0, 0
    if si == idx then
      curr = tonumber(h[2]) or 0
      prev = tonumber(h[3]) or 0
    elseif si == idx - 1 then
      prev = tonumber(h[2]) or 0
    end
    if l.sl == 0 then prev = 0 end
    local used = prev * (W - e) + curr * W
    if used + l.cost * W <= n * W then
      ok = true
      st = { n, math.floor((n * W - used - l.cost * W) / W), W - e }
      if l.cost > 0 then
        local ttl = W - e
        if l.sl == 1 then ttl = 2 * W - e end
        local c2 = curr + l.cost
        table.insert(writes, function()
          redis.call('HSET', key, 'i', int(idx), 'c', int(c2), 'p', int(prev))
          redis.call('PEXPIRE', key, ttl)
        end)
      end
    else
      ok = false
      if l.sl == 0 then rt = W - e
      elseif curr + l.cost <= n then rt = math.ceil(W - ((n - l.cost - curr) * W) / prev) - e
      elseif l.cost > n then rt = W - e + W
      else rt = W - e + math.ceil(W - ((n - l.cost) * W) / curr) end
      st = { n, math.max(0, math.floor((n * W - used) / W)), rt }
    end
  else
    local hold = l.hold
    if commit and l.k == 'sessions' and spec.sess then
      -- A session's traffic keeps it counted (sliding expiry); not consumption, so done whatever the verdict.
      local score = tonumber(redis.call('ZSCORE', key, spec.sess.member))
      if score and score > now then
        redis.call('ZADD', key, int(now + hold), spec.sess.member)
        redis.call('PEXPIRE', key, hold)
      end
    end
    local count = redis.call('ZCOUNT', key, '(' .. int(now), '+inf')
    if count + l.cost <= n then
      ok = true
      st = { n, n - count - l.cost, -1 }
      if l.cost > 0 then
        local member = (l.k == 'sessions' and 'p:' or 'c:') .. spec.tok
        table.insert(writes, function()
          redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now))
          redis.call('ZADD', key, int(now + hold), member)
          redis.call('PEXPIRE', key, hold)
        end)
      end
    else
      ok = false
      if l.k == 'concurrency' then
        rt = ${CONCURRENCY_RETRY_MS}
      else
        local first = redis.call('ZRANGEBYSCORE', key, '(' .. int(now), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
        rt = math.max(1, math.min(${SESSION_CAP_RETRY_MS}, tonumber(first[2]) - now))
      end
      st = { n, math.max(0, n - count), -1 }
    end
  end
  states[i] = st
  if not ok and l.cost > 0 and refused == 0 then
    refused = i
    retry = rt
  end
end

if commit then
  if spec.sess then redis.call('PEXPIRE', KEYS[spec.sess.index], spec.sess.ttl) end
  if refused == 0 then
    for _, w in ipairs(writes) do w() end
  end
end
return cjson.encode({ i = refused, rt = retry, st = states, an = an })
`;

/** KEYS[1]: session index; KEYS[2..]: sets holding the pending reservation. ARGV: pending, session member, ttl ms, now ms or ''. */
const BIND = `
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ttl = tonumber(ARGV[3])
local bound = 0
for i = 2, #KEYS do
  if redis.call('ZREM', KEYS[i], ARGV[1]) == 1 then
    redis.call('ZADD', KEYS[i], string.format('%.0f', now + ttl), ARGV[2])
    redis.call('PEXPIRE', KEYS[i], ttl)
    redis.call('SADD', KEYS[1], KEYS[i])
    bound = bound + 1
  end
end
if bound > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return bound
`;

/**
 * KEYS[1]: session index; ARGV[1]: session member. The sets come from the index, so they are not
 * declared keys: fine on one Redis (mcpgw's store), not on Redis Cluster.
 */
const END_SESSION = `
local sets = redis.call('SMEMBERS', KEYS[1])
for _, k in ipairs(sets) do redis.call('ZREM', k, ARGV[1]) end
redis.call('DEL', KEYS[1])
return #sets
`;

/** KEYS[i] loses member ARGV[i]. */
const RELEASE = `
for i, k in ipairs(KEYS) do redis.call('ZREM', k, ARGV[i]) end
return #KEYS
`;

export const checkScript = new LuaScript(CHECK);
export const bindScript = new LuaScript(BIND);
export const endSessionScript = new LuaScript(END_SESSION);
export const releaseScript = new LuaScript(RELEASE);
