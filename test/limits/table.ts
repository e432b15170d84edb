// One table of scenarios, each algorithm against its definition at exact boundaries, run against
// the memory engine (memory.test.ts) and a real redis-server (redis.test.ts). Times are ms after T0
// (a day boundary); every step sets the clock, optionally acts, then checks one or more requests.
import assert from 'node:assert/strict';
import type { AnomalyFlag, LimitRequest, LimitsOptions, LimitVerdict } from '../../src/limits/index.js';
import type { Harness } from './harness.js';

export interface Step {
  at: number;
  req?: Partial<LimitRequest>;
  /** Checks this many identical requests, each with the same expectation. */
  times?: number;
  expect?: 'allowed' | 'refused';
  refusedBy?: string;
  retryAfter?: number;
  /** The RateLimit header of the last request; null: no RateLimit header at all. */
  rateLimit?: string | null;
  /** The last request's anomaly flag; null: none. */
  anomaly?: Partial<AnomalyFlag> | null;
  /** Keeps the last verdict under this name for later release / bind. */
  keep?: string;
  // Actions, run before the step's checks.
  release?: string;
  bind?: [verdict: string, sessionId: string];
  endSession?: string;
  setTenantLimits?: [tenant: string, changes: Record<string, number | null>];
}

export interface Scenario {
  name: string;
  options: LimitsOptions;
  base: LimitRequest;
  steps: Step[];
}

const call = (tool: string, principal = 'alice'): LimitRequest => ({ server: 'files', method: 'tools/call', tool, principal, isNewSession: false });
const opts = (limits: LimitsOptions['limits'], extra: Partial<LimitsOptions> = {}): LimitsOptions => ({ limits, replicas: 1, headers: true, ...extra });

export const scenarios: Scenario[] = [
  {
    name: 'GCRA: 10/s per principal with a burst of 20, exact refill',
    options: opts([
      { name: 'search', per: ['principal'], match: { methods: ['tools/call'], tools: ['search_*'] }, rate: { requests: 10, perSeconds: 1, burst: 20 } },
    ]),
    base: call('search_docs'),
    steps: [
      { at: 0, times: 19, expect: 'allowed' },
      { at: 0, expect: 'allowed', rateLimit: '"search";r=0;t=2' },
      { at: 0, expect: 'refused', refusedBy: 'search', retryAfter: 1, rateLimit: '"search";r=0;t=1' },
      { at: 0, req: { principal: 'bob' }, expect: 'allowed', rateLimit: '"search";r=19;t=1' },
      { at: 0, req: { tool: 'list_files' }, times: 50, expect: 'allowed', rateLimit: null },
      { at: 99, expect: 'refused' },
      { at: 100, expect: 'allowed', rateLimit: '"search";r=0;t=2' },
      { at: 100, expect: 'refused' },
      { at: 2100, times: 20, expect: 'allowed' },
      { at: 2100, expect: 'refused' },
    ],
  },
  {
    name: 'GCRA: burst defaults to the rate',
    options: opts([{ name: 'two-per-second', per: [], rate: { requests: 2, perSeconds: 1 } }]),
    base: call('anything'),
    steps: [
      { at: 0, times: 2, expect: 'allowed' },
      { at: 0, expect: 'refused', retryAfter: 1 },
      { at: 499, expect: 'refused' },
      { at: 500, expect: 'allowed', rateLimit: '"two-per-second";r=0;t=1' },
      { at: 500, expect: 'refused' },
    ],
  },
  {
    name: 'fixed window: tenant engineering 1000 per hour, roll-over at the hour',
    options: opts([{ name: 'tenant-hourly', per: ['tenant'], match: { tenants: ['engineering'] }, quota: { requests: 1000, window: 'hour' } }]),
    base: { ...call('x'), tenant: 'engineering' },
    steps: [
      { at: 0, expect: 'allowed', rateLimit: '"tenant-hourly";r=999;t=3600' },
      { at: 1000, times: 998, expect: 'allowed' },
      { at: 3_599_999, expect: 'allowed', rateLimit: '"tenant-hourly";r=0;t=1' },
      { at: 3_599_999, expect: 'refused', refusedBy: 'tenant-hourly', retryAfter: 1 },
      { at: 3_599_999, req: { tenant: 'sales' }, expect: 'allowed', rateLimit: null },
      { at: 3_600_000, expect: 'allowed', rateLimit: '"tenant-hourly";r=999;t=3600' },
    ],
  },
  {
    name: 'sliding window: 10 per minute, previous window weighted by its overlap',
    options: opts([{ name: 'minute-sliding', per: ['principal'], quota: { requests: 10, window: 'minute', sliding: true } }]),
    base: call('x'),
    steps: [
      { at: 0, times: 10, expect: 'allowed' },
      // Next window: 10 × (60 − e)/60 + 1 ≤ 10 first holds at e = 6 s.
      { at: 0, expect: 'refused', retryAfter: 66 },
      { at: 65_999, expect: 'refused' },
      { at: 66_000, expect: 'allowed', rateLimit: '"minute-sliding";r=0;t=54' },
      // 10 × (60 − e)/60 + 2 ≤ 10 first holds at e = 12 s.
      { at: 66_000, expect: 'refused', retryAfter: 6 },
      { at: 71_999, expect: 'refused' },
      { at: 72_000, expect: 'allowed' },
      // Half-way: 10 × 0.5 + 2 = 7 used.
      { at: 90_000, times: 3, expect: 'allowed' },
      { at: 90_000, expect: 'refused', retryAfter: 6 },
      // The window of 5 now weighs fully, then fades.
      { at: 120_000, times: 5, expect: 'allowed' },
      { at: 120_000, expect: 'refused' },
    ],
  },
  {
    name: 'cost budget: tenant 100 units per day, generate_report costs 50',
    options: opts([
      {
        name: 'tenant-daily-cost',
        per: ['tenant'],
        match: { methods: ['tools/call'] },
        cost: { budget: 100, window: 'day', costs: { generate_report: 50, 'free_*': 0, huge_export: 200 } },
      },
    ]),
    base: { ...call('generate_report'), tenant: 'acme' },
    steps: [
      { at: 0, expect: 'allowed', rateLimit: '"tenant-daily-cost";r=50;t=86400' },
      { at: 0, expect: 'allowed', rateLimit: '"tenant-daily-cost";r=0;t=86400' },
      { at: 0, req: { tool: 'search' }, expect: 'refused', refusedBy: 'tenant-daily-cost', retryAfter: 86_400 },
      { at: 0, req: { tool: 'free_lookup' }, expect: 'allowed', rateLimit: null },
      { at: 86_399_999, req: { tool: 'search' }, expect: 'refused', retryAfter: 1 },
      { at: 86_400_000, expect: 'allowed', rateLimit: '"tenant-daily-cost";r=50;t=86400' },
      { at: 86_400_000, req: { tool: 'search' }, times: 50, expect: 'allowed' },
      { at: 86_400_000, req: { tool: 'search' }, expect: 'refused' },
      { at: 172_800_000, req: { tool: 'huge_export' }, expect: 'refused' },
      { at: 172_800_000, req: { tool: 'search' }, expect: 'allowed', rateLimit: '"tenant-daily-cost";r=99;t=86400' },
    ],
  },
  {
    name: 'concurrency: run_query 3 in flight across all users, idempotent release, lease expiry',
    options: opts([{ name: 'run-query', per: [], match: { tools: ['run_query'] }, concurrency: { max: 3, leaseSeconds: 10 } }]),
    base: call('run_query'),
    steps: [
      { at: 0, expect: 'allowed', keep: 'a' },
      { at: 0, expect: 'allowed', keep: 'b' },
      { at: 0, expect: 'allowed', keep: 'c', rateLimit: '"run-query";r=0' },
      { at: 0, req: { principal: 'bob' }, expect: 'refused', refusedBy: 'run-query', retryAfter: 1 },
      { at: 1, release: 'a', expect: 'allowed', keep: 'd' },
      { at: 2, release: 'a', expect: 'refused' },
      { at: 3, release: 'd', expect: 'allowed', keep: 'e' },
      // b and c (taken at 0) expire at 10 000; e (at 3) still holds a slot.
      { at: 9_999, expect: 'refused' },
      { at: 10_000, times: 2, expect: 'allowed' },
      { at: 10_000, expect: 'refused' },
    ],
  },
  {
    name: 'sessions: principal at most 2 live sessions, freed on end, on expiry, or when never bound',
    options: opts([{ name: 'principal-sessions', per: ['principal'], sessions: { max: 2 } }], { sessionTtlSeconds: 100 }),
    base: { server: 'files', method: 'initialize', principal: 'alice', isNewSession: true },
    steps: [
      { at: 0, expect: 'allowed', keep: 'i1', rateLimit: '"principal-sessions";r=1' },
      { at: 0, bind: ['i1', 's1'], expect: 'allowed', keep: 'i2' },
      // A slot frees whenever a session ends: wait at most 30 s, not the 100 s until the oldest expires.
      { at: 0, bind: ['i2', 's2'], expect: 'refused', refusedBy: 'principal-sessions', retryAfter: 30 },
      { at: 0, req: { principal: 'bob' }, expect: 'allowed', keep: 'b1' },
      { at: 0, release: 'b1', req: { principal: 'bob' }, times: 2, expect: 'allowed' },
      { at: 0, req: { principal: 'bob' }, expect: 'refused' },
      { at: 1, endSession: 's1', expect: 'allowed', keep: 'i3' },
      { at: 1, bind: ['i3', 's3'], expect: 'refused' },
      // Releasing after bind leaves the session counted.
      { at: 2, release: 'i3', expect: 'refused' },
      // Traffic on s3 extends its life; s2 (bound at 0) expires at 100 000.
      { at: 50_000, req: { method: 'tools/call', isNewSession: false, sessionId: 's3' }, expect: 'allowed', rateLimit: null },
      { at: 90_000, expect: 'refused', retryAfter: 10 },
      { at: 99_999, expect: 'refused' },
      { at: 100_000, expect: 'allowed', keep: 'i4' },
      { at: 100_000, expect: 'refused' },
    ],
  },
  {
    name: 'all-or-nothing: a request refused by one limit consumes none of the others',
    options: opts([
      { name: 'per-principal', per: ['principal'], quota: { requests: 5, window: 'hour' } },
      { name: 'per-tool', per: ['tool'], quota: { requests: 3, window: 'hour' } },
    ]),
    base: call('x'),
    steps: [
      { at: 0, times: 3, expect: 'allowed' },
      { at: 0, times: 3, expect: 'refused', refusedBy: 'per-tool' },
      { at: 0, req: { tool: 'y' }, times: 2, expect: 'allowed', rateLimit: '"per-principal";r=0;t=3600, "per-tool";r=1;t=3600' },
      { at: 0, req: { tool: 'y' }, expect: 'refused', refusedBy: 'per-principal' },
      { at: 0, req: { tool: 'y', principal: 'bob' }, expect: 'allowed', rateLimit: '"per-principal";r=4;t=3600, "per-tool";r=0;t=3600' },
      { at: 0, req: { tool: 'y', principal: 'bob' }, expect: 'refused', refusedBy: 'per-tool' },
    ],
  },
  {
    name: 'tenant overrides: set, applied to the tenant only, removed',
    options: opts([{ name: 'tenant-hourly', per: ['tenant'], quota: { requests: 5, window: 'hour' } }]),
    base: { ...call('x'), tenant: 'eng' },
    steps: [
      { at: 0, setTenantLimits: ['eng', { 'tenant-hourly': 2 }], times: 2, expect: 'allowed' },
      { at: 0, expect: 'refused', refusedBy: 'tenant-hourly', rateLimit: '"tenant-hourly";r=0;t=3600' },
      { at: 0, req: { tenant: 'ops' }, times: 5, expect: 'allowed' },
      { at: 0, setTenantLimits: ['eng', { 'tenant-hourly': null }], times: 3, expect: 'allowed' },
      { at: 0, expect: 'refused' },
    ],
  },
  {
    name: 'tenant overrides: a rate override scales the burst with it',
    options: opts([{ name: 'tenant-rate', per: ['tenant'], rate: { requests: 10, perSeconds: 1, burst: 20 } }]),
    base: { ...call('x'), tenant: 'eng' },
    steps: [
      { at: 0, setTenantLimits: ['eng', { 'tenant-rate': 5 }], times: 10, expect: 'allowed' },
      { at: 0, expect: 'refused' },
      { at: 199, expect: 'refused' },
      { at: 200, expect: 'allowed' },
    ],
  },
  {
    name: 'anomaly: a minute above 10× the baseline is flagged and throttled to the baseline',
    options: opts([], { anomaly: { factor: 10, minBaseline: 5, throttle: true } }),
    base: call('x'),
    steps: [
      { at: 0, times: 20, expect: 'allowed', anomaly: null },
      { at: 60_000, times: 200, expect: 'allowed', anomaly: null },
      { at: 60_001, expect: 'refused', refusedBy: 'anomaly', retryAfter: 60, anomaly: { principal: 'alice', perMinute: 201, baseline: 20, throttled: true } },
      { at: 60_002, req: { principal: 'bob' }, expect: 'allowed', anomaly: null },
      // The next minute is held to the baseline.
      { at: 120_000, times: 20, expect: 'allowed' },
      { at: 120_000, expect: 'refused', refusedBy: 'anomaly', anomaly: { perMinute: 21, throttled: true } },
      // A normal minute ends it.
      { at: 180_000, times: 100, expect: 'allowed', anomaly: null },
    ],
  },
  {
    name: 'anomaly without throttling: flagged, still allowed',
    options: opts([], { anomaly: { factor: 10, minBaseline: 5, throttle: false } }),
    base: call('x'),
    steps: [
      { at: 0, times: 20, expect: 'allowed', anomaly: null },
      { at: 60_000, times: 200, expect: 'allowed', anomaly: null },
      { at: 60_000, expect: 'allowed', anomaly: { principal: 'alice', perMinute: 201, baseline: 20, throttled: false } },
      { at: 60_000, req: { method: 'tools/list', tool: undefined }, expect: 'allowed', anomaly: null },
    ],
  },
];

export async function runScenario(s: Scenario, h: Harness): Promise<void> {
  const kept = new Map<string, LimitVerdict>();
  for (const [i, step] of s.steps.entries()) {
    h.clock.at(step.at);
    const where = `step ${i} (t=${step.at})`;
    if (step.release) await h.limiter.release(kept.get(step.release)!.lease!);
    if (step.bind) await h.limiter.bindSession(kept.get(step.bind[0])!.lease!, step.bind[1]);
    if (step.endSession) await h.limiter.sessionEnded({ server: s.base.server, id: step.endSession });
    if (step.setTenantLimits) await h.limiter.setTenantLimits(...step.setTenantLimits);
    if (!step.expect) continue;
    let v: LimitVerdict | undefined;
    for (let k = 0; k < (step.times ?? 1); k++) {
      v = await h.limiter.check({ ...s.base, ...step.req });
      assert.equal(v.allowed, step.expect === 'allowed', `${where} request ${k + 1}: ${JSON.stringify(v.refused)}`);
    }
    if (step.keep) kept.set(step.keep, v!);
    if (step.refusedBy !== undefined) assert.equal(v!.refused?.limit, step.refusedBy, where);
    if (step.retryAfter !== undefined) {
      assert.equal(v!.refused?.retryAfterSeconds, step.retryAfter, where);
      assert.equal(header(v!, 'Retry-After'), String(step.retryAfter), where);
    }
    if (step.rateLimit !== undefined) assert.equal(header(v!, 'RateLimit') ?? null, step.rateLimit, where);
    if (step.anomaly === null) assert.equal(v!.anomaly, undefined, where);
    else if (step.anomaly) assert.deepEqual(pick(v!.anomaly, Object.keys(step.anomaly)), step.anomaly, where);
  }
}

export function header(v: LimitVerdict, name: string): string | undefined {
  return v.headers.find((h) => h.name === name)?.value;
}

function pick(o: object | undefined, fields: string[]): Record<string, unknown> | undefined {
  if (!o) return undefined;
  return Object.fromEntries(fields.map((f) => [f, (o as Record<string, unknown>)[f]]));
}
