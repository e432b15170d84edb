// RateLimit-Policy and RateLimit fields (draft-ietf-httpapi-ratelimit-headers): Structured Field
// Lists of String items with parameters, e.g. `"tenant-hourly";q=1000;w=3600` and
// `"tenant-hourly";r=0;t=42`. Limit names are restricted (validate.ts) so they need no escaping.
import { rateParams, type CompiledLimit } from './compile.js';
import type { LimitState } from './engine.js';
import type { LimitHeader } from './types.js';

/** The quota policy item of a limit at effective number n. */
export function policyItem(l: CompiledLimit, n: number): string {
  const name = `"${l.name}"`;
  if (l.rate) {
    // GCRA admits B at once and refills B in B × T: advertised as B per that window.
    const { T, B } = rateParams(l.rate, n);
    return `${name};q=${B};w=${Math.max(1, Math.ceil((B * T) / 1_000_000))}`;
  }
  if (l.window) return `${name};q=${n};w=${l.window.ms / 1000}${l.kind === 'cost' ? ';qu="mcpgw-cost-units"' : ''}`;
  return `${name};q=${n};qu="${l.kind === 'concurrency' ? 'concurrent-requests' : 'mcpgw-sessions'}"`;
}

export function anomalyPolicyItem(name: string, perMinute: number): string {
  return `"${name}";q=${Math.floor(perMinute)};w=60`;
}

/** The service-limit item: remaining units and, for windowed kinds, seconds until the reset. */
export function stateItem(name: string, s: Pick<LimitState, 'remaining' | 'resetMs'>): string {
  return `"${name}";r=${s.remaining}${s.resetMs === undefined ? '' : `;t=${Math.ceil(s.resetMs / 1000)}`}`;
}

export function rateLimitHeaders(items: Array<{ policy: string; state: string }>, retryAfterSeconds?: number): LimitHeader[] {
  const headers: LimitHeader[] = [];
  if (items.length) {
    headers.push({ name: 'RateLimit-Policy', value: items.map((i) => i.policy).join(', ') });
    headers.push({ name: 'RateLimit', value: items.map((i) => i.state).join(', ') });
  }
  if (retryAfterSeconds !== undefined) headers.push({ name: 'Retry-After', value: String(retryAfterSeconds) });
  return headers;
}
