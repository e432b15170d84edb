// Each algorithm as a pure step over its stored state: the definitions the memory engine runs and
// the Lua script (redisScripts.ts) mirrors expression for expression, so both give the same answers
// (test/limits/table.ts runs one table against both).

export interface Step<S> {
  ok: boolean;
  /** State to store when the request is committed. */
  next: S;
  /** How long the stored state matters, ms. */
  ttlMs: number;
  /** Units left after this request (when ok) or now (when refused). */
  remaining: number;
  resetMs?: number;
  /** ms until the request could be admitted (when refused). */
  retryMs: number;
}

/**
 * GCRA: the theoretical arrival time `tat` (µs) advances by cost × T per admitted request; a request
 * is admitted while tat stays within B × T of now. Integer µs keep refill exact.
 */
export function gcraStep(tat: number | undefined, nowUs: number, T: number, B: number, cost: number): Step<number> {
  const base = Math.max(tat ?? 0, nowUs);
  const next = base + cost * T;
  const cap = B * T;
  if (next - nowUs > cap) {
    const retryUs = next - cap - nowUs;
    const remaining = Math.max(0, Math.floor((cap - (base - nowUs)) / T));
    return { ok: false, next: base, ttlMs: 0, remaining, resetMs: Math.ceil(retryUs / 1000), retryMs: Math.ceil(retryUs / 1000) };
  }
  const resetMs = Math.ceil((next - nowUs) / 1000);
  return { ok: true, next, ttlMs: resetMs, remaining: Math.floor((cap - (next - nowUs)) / T), resetMs, retryMs: 0 };
}

/** Window counters: the current window's index and count, and the previous window's count. */
export interface WindowState {
  i: number;
  c: number;
  p: number;
}

/**
 * Fixed window: at most n units per window aligned to the epoch. Sliding (weighted two-window): the
 * previous window counts in proportion to how much of it still overlaps the sliding window,
 * prev × (W − e) / W + curr ≤ n, evaluated multiplied by W so it stays in integers.
 */
export function windowStep(s: WindowState | undefined, nowMs: number, W: number, n: number, cost: number, sliding: boolean): Step<WindowState> {
  const i = Math.floor(nowMs / W);
  const e = nowMs - i * W;
  let curr = 0;
  let prev = 0;
  if (s?.i === i) {
    curr = s.c;
    prev = s.p;
  } else if (s?.i === i - 1) prev = s.c;
  if (!sliding) prev = 0;
  const used = prev * (W - e) + curr * W;
  if (used + cost * W <= n * W) {
    const ttlMs = sliding ? 2 * W - e : W - e;
    return { ok: true, next: { i, c: curr + cost, p: prev }, ttlMs, remaining: Math.floor((n * W - used - cost * W) / W), resetMs: W - e, retryMs: 0 };
  }
  let retryMs: number;
  if (!sliding) retryMs = W - e;
  else if (curr + cost <= n) retryMs = Math.ceil(W - ((n - cost - curr) * W) / prev) - e;
  else if (cost > n) retryMs = W - e + W;
  else retryMs = W - e + Math.ceil(W - ((n - cost) * W) / curr);
  const remaining = Math.max(0, Math.floor((n * W - used) / W));
  return { ok: false, next: { i, c: curr, p: prev }, ttlMs: 0, remaining, resetMs: retryMs, retryMs };
}

/** How long a refused concurrency request should wait: slots free when calls end, unknown when. */
export const CONCURRENCY_RETRY_MS = 1000;

/**
 * The longest a refused new session is told to wait: a slot frees whenever any session ends (DELETE,
 * lost pod), not only when the oldest one expires, which may be a whole session TTL away.
 */
export const SESSION_CAP_RETRY_MS = 30_000;

/**
 * Slots (concurrency leases, live sessions): members scored by expiry; a request takes `cost` more
 * while the live ones plus it fit in n. A refused session waits for the earliest expiry, at most
 * SESSION_CAP_RETRY_MS.
 */
export function slotsStep(liveExpiries: number[], nowMs: number, n: number, cost: number, kind: 'concurrency' | 'sessions'): Omit<Step<null>, 'next' | 'ttlMs'> {
  const live = liveExpiries.length;
  if (live + cost <= n) return { ok: true, remaining: n - live - cost, retryMs: 0 };
  const retryMs = kind === 'concurrency' ? CONCURRENCY_RETRY_MS : Math.max(1, Math.min(SESSION_CAP_RETRY_MS, Math.min(...liveExpiries) - nowMs));
  return { ok: false, remaining: Math.max(0, n - live), retryMs };
}
