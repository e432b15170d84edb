// Every row of the bench, in print order. A scenario is an id, a section, a title and a run that
// returns its rows (a scenario may produce several, e.g. a scaling comparison); adding a row is
// one more entry here. Pending rows name the issue that makes them possible.
import type { BenchContext } from './context.js';
import type { LatencySummary } from './histogram.js';
import { BenchIssuer } from './identity.js';
import { AUTHORITY, MCP_PATH } from './messages.js';
import { policyRules, type IdentityResult, type LimitsCase, type PolicyResult } from './micro/decisions.js';
import type { AdapterResult } from './micro/adapter.js';
import type { AffinityResult, WindowResult } from './micro/affinity.js';
import type { HostileGlobResult, NameFloodResult } from './micro/hostile.js';
import type { BridgeBenchResult } from './micro/bridge.js';
import type { RedisMemoryResult } from './micro/memory.js';
import { redisTopologiesScenario } from './topologies.js';
import { podHosts } from './micro/rig.js';
import type { RedisSessionsResult, SessionsResult } from './micro/sessions.js';
import type { LoadResult } from './proc/loadgen.js';
import { cellOf, pairRow, ratio, type Row } from './report.js';
import { recoveryHandshake } from './recovery.js';
import { shippedScenarios } from './shipped.js';
import { sseFirstEvent } from './sse.js';
import type { WorkloadName } from './workloads.js';

export interface Scenario {
  id: string;
  section: string;
  title: string;
  /** Server processes are kept for the scenarios of one group, then stopped (one profile per group). */
  group?: string;
  needsRedis?: boolean;
  needsCluster?: boolean;
  /** "pending: issue N": listed, not run. */
  pending?: string;
  run?(ctx: BenchContext): Promise<Row[]>;
}

const SECTIONS = {
  check: 'ext_authz Check: mcpgw vs bare grpc-js Check (OK)',
  extproc: 'ext_proc request (headers + BUFFERED body + response headers): mcpgw vs bare echo processor',
  routing: 'Routing: affinity key precomputation and lookup; initialize through ext_proc by pod count',
  sessions: 'Sessions: follow-up decision time by registry size (memory, Redis)',
  sse: 'SSE first-event latency through envoy-sim',
  memory: 'Memory per session',
  adapter: "mcpgw's own CPU per request, in process (no gRPC, no network)",
  identity: 'Identity and policy',
  limits: 'Limits',
  recovery: 'Session recovery: added latency of the request that triggers one',
  hostile: 'Worst cases: hostile names (issue 12)',
  bridge: 'mcpgw bridge: one tools/call at a time to the same stdio server (server-everything), direct vs bridge vs supergateway vs mcp-proxy; memory per session',
  cluster: 'node:cluster prototype (bench only): 1 process vs 2 workers sharing the port, nothing pinned',
} as const;

/**
 * mcpgw's config for the gRPC rows: one server, the default memory store, info logs (to /dev/null).
 * `extra`: more top-level fields (identity); `server`: more fields of the server (auth, policy).
 */
export function mcpgwConfig(pods = 0, extra: Record<string, unknown> = {}, server: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
    log: { level: 'info' },
    shutdown: { graceSeconds: 1 },
    servers: [{ name: 'docs', match: { hosts: [AUTHORITY], pathPrefix: MCP_PATH }, tools: { deny: ['delete_*'] }, ...(pods ? { endpoints: { static: podHosts(pods) } } : {}), ...server }],
    ...extra,
  };
}

const ISSUE8_CHECK = 'p50 ≤ 1.2x, p99 ≤ 1.5x';
const ISSUE8_EXTPROC = 'p50 ≤ 1.25x';
const ISSUE8_RPS = 'rps ≥ 0.8x';
const ISSUE8_SCALING = 'p50 ≤ 1.10x (small→large)';

function grpcPair(section: keyof typeof SECTIONS, workload: WorkloadName, concurrency: number, target: string, check: (r: NonNullable<Row['ratio']>) => boolean): Scenario {
  const id = `${section}.c${concurrency}`;
  return {
    id,
    section: SECTIONS[section],
    title: `${concurrency} in flight`,
    group: section,
    async run(ctx) {
      const bare = await ctx.server('bare', { kind: 'bare' });
      const gw = await ctx.server(`mcpgw-${section}`, { kind: 'mcpgw', config: mcpgwConfig() });
      // Baseline first, then mcpgw, level by level: drift lands on both.
      const b = await ctx.load({ target: bare, workload, concurrency });
      const m = await ctx.load({ target: gw, workload, concurrency });
      const saturation = concurrency === Math.max(...ctx.opts.sizes.levels);
      const fullTarget = saturation ? `${target}, ${ISSUE8_RPS}` : target;
      return [
        pairRow({ id, section: SECTIONS[section], title: `${concurrency} in flight${saturation ? ' (saturation)' : ''}`, baselineName: 'bare', target: fullTarget }, cellOf(m), cellOf(b), (r) => check(r) && (!saturation || (r.rps ?? 0) >= 0.8)),
      ];
    },
  };
}

function scalingRow(id: string, section: string, title: string, small: LatencySummary, large: LatencySummary, note?: string): Row {
  return { ...pairRow({ id, section, title, baselineName: 'small', target: ISSUE8_SCALING }, cellOf(large), cellOf(small), (r) => (r.p50 ?? Infinity) <= 1.1), ...(note ? { note } : {}) };
}

export function latencyRow(id: string, section: string, title: string, s: LatencySummary | LoadResult, note?: string): Row {
  return { id, section, title, status: 'ok', subject: cellOf(s), ...(note ? { note } : {}) };
}

const fmtCount = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

function affinityScenario(policy: 'ring_hash' | 'maglev'): Scenario {
  const short = policy === 'ring_hash' ? 'ring' : 'maglev';
  return {
    id: `routing.keys.${short}`,
    section: SECTIONS.routing,
    title: `AffinityKeyTable (${policy}) build and keyFor lookup for 3, 30, 300 pods`,
    async run(ctx) {
      const rows: Row[] = [];
      const results: Record<number, AffinityResult> = {};
      const counts = [3, 30, 300];
      const measured = await ctx.microBatch<AffinityResult>(counts.map((pods) => ({ micro: 'affinity', policy, pods, builds: ctx.opts.sizes.affinityBuilds, lookups: ctx.opts.sizes.lookups })));
      for (const [i, pods] of counts.entries()) {
        const r = measured[i]!;
        results[pods] = r;
        rows.push(latencyRow(`routing.keys.${short}.build.${pods}`, SECTIONS.routing, `key precomputation, ${pods} pods (${policy}, per endpoint change)`, r.build));
      }
      const [small, large] = [results[3]!, results[300]!];
      rows.push({
        id: `routing.keys.${short}.lookup`,
        section: SECTIONS.routing,
        title: `per-request keyFor, 300 vs 3 pods (${policy})`,
        status: 'ok',
        value: large.lookupNsPerOp,
        unit: 'ns/op',
        note: `3 pods: ${small.lookupNsPerOp} ns/op; ratio ${ratio(large.lookupNsPerOp, small.lookupNsPerOp)}x`,
      });
      return rows;
    },
  };
}

function recoveryScenario(): Scenario {
  return {
    id: 'recovery.handshake',
    section: SECTIONS.recovery,
    title: 'replayed handshake (initialize + notifications/initialized) on a real SDK pod vs one session call',
    async run(ctx) {
      const r = await recoveryHandshake(ctx.opts.sizes.sseIterations);
      const title = 'replayed handshake on the new pod (added to the triggering request) vs one session call';
      return [pairRow({ id: 'recovery.handshake', section: SECTIONS.recovery, title, baselineName: 'one call' }, cellOf(r.handshake), cellOf(r.call))];
    },
  };
}

/** Key precomputation over a convergence window (docs/operations.md): 1, 5, 20 sets × 3, 30, 300 pods. */
function affinityWindowScenario(policy: 'ring_hash' | 'maglev'): Scenario {
  const short = policy === 'ring_hash' ? 'ring' : 'maglev';
  return {
    id: `routing.window.${short}`,
    section: SECTIONS.routing,
    title: `AffinityKeyTable (${policy}) build over 1, 5, 20 endpoint sets in the convergence window, 3, 30, 300 pods`,
    async run(ctx) {
      const cases = [3, 30, 300].flatMap((pods) => [1, 5, 20].map((sets) => ({ pods, sets })));
      const measured = await ctx.microBatch<WindowResult>(cases.map(({ pods, sets }) => ({ micro: 'affinity-window', policy, pods, sets, builds: ctx.opts.sizes.affinityBuilds })));
      return cases.map(({ pods, sets }, i) => {
        const r = measured[i]!;
        const note = r.unconverged ? `${r.unconverged} pods without a window-safe key` : 'every pod has a window-safe key';
        return latencyRow(`routing.window.${short}.${pods}.${sets}`, SECTIONS.routing, `key precomputation, ${pods} pods, ${sets} set${sets > 1 ? 's' : ''} in the window (${policy}, per endpoint change)`, r.build, note);
      });
    },
  };
}

function initializeByPods(): Scenario {
  return {
    id: 'routing.initialize',
    section: SECTIONS.routing,
    title: 'initialize through ext_proc (pod choice + key + binding), static endpoints, 16 in flight',
    group: 'initialize',
    async run(ctx) {
      const res: Record<number, LoadResult> = {};
      for (const pods of [3, 300]) {
        const target = await ctx.server(`mcpgw-initialize-${pods}`, { kind: 'mcpgw', config: mcpgwConfig(pods) });
        res[pods] = await ctx.load({ target, workload: 'extproc-initialize', concurrency: 16, durationMs: 600_000, maxRequests: ctx.opts.sizes.initializeRequests });
      }
      const [a, b] = [res[3]!, res[300]!];
      return [
        latencyRow('routing.initialize.pods3', SECTIONS.routing, 'initialize, 3 pods', a),
        latencyRow('routing.initialize.pods300', SECTIONS.routing, 'initialize, 300 pods', b),
        scalingRow('routing.initialize.scaling', SECTIONS.routing, 'initialize p50, 300 vs 3 pods', a, b, `${a.count} sessions created per case`),
      ];
    },
  };
}

function memorySessionsScenario(): Scenario {
  return {
    id: 'sessions.memory',
    section: SECTIONS.sessions,
    title: 'MemorySessionRegistry: follow-up and initialize decisions by session count',
    async run(ctx) {
      const s = ctx.opts.sizes;
      const [small, large] = (await ctx.microBatch<SessionsResult>([
        { micro: 'sessions-memory', n: s.sessionsSmall, samples: s.decisionSamples, initSamples: Math.min(200, s.decisionSamples) },
        { micro: 'sessions-memory', n: s.sessionsLarge, samples: s.decisionSamples, initSamples: s.largeInitializeSamples },
      ])) as [SessionsResult, SessionsResult];
      const [n0, n1] = [fmtCount(small.sessions), fmtCount(large.sessions)];
      return [
        latencyRow(`sessions.memory.follow.small`, SECTIONS.sessions, `follow-up decision, ${n0} sessions (memory)`, small.followUp),
        latencyRow(`sessions.memory.follow.large`, SECTIONS.sessions, `follow-up decision, ${n1} sessions (memory)`, large.followUp, `filled in ${large.fillMs} ms`),
        scalingRow('sessions.memory.follow.scaling', SECTIONS.sessions, `follow-up p50, ${n1} vs ${n0} sessions (memory)`, small.followUp, large.followUp),
        scalingRow('sessions.memory.initialize.scaling', SECTIONS.sessions, `initialize decision, ${n1} vs ${n0} sessions (memory)`, small.initialize!, large.initialize!),
      ];
    },
  };
}

function redisSessionsScenario(): Scenario {
  return {
    id: 'sessions.redis',
    section: SECTIONS.sessions,
    title: 'RedisSessionRegistry: follow-up decision, in-process cache hit vs Redis round trip',
    needsRedis: true,
    async run(ctx) {
      const s = ctx.opts.sizes;
      const url = ctx.redisUrl!;
      const [small, large] = (await ctx.microBatch<RedisSessionsResult>([
        { micro: 'sessions-redis', url, n: s.sessionsSmall, samples: s.decisionSamples, keyPrefix: 'bench-small:' },
        { micro: 'sessions-redis', url, n: s.redisSessionsLarge, samples: s.decisionSamples, keyPrefix: 'bench-large:', budgetMs: s.redisFillBudgetMs },
      ])) as [RedisSessionsResult, RedisSessionsResult];
      const [n0, n1] = [fmtCount(small.sessions), fmtCount(large.sessions)];
      const fill = `${n1} written through the registry in ${Math.round(large.fillMs / 1000)} s`;
      return [
        latencyRow('sessions.redis.cache.small', SECTIONS.sessions, `cache hit, ${n0} sessions`, small.cacheHit),
        latencyRow('sessions.redis.cache.large', SECTIONS.sessions, `cache hit, ${n1} sessions`, large.cacheHit),
        scalingRow('sessions.redis.cache.scaling', SECTIONS.sessions, `cache hit p50, ${n1} vs ${n0}`, small.cacheHit, large.cacheHit),
        latencyRow('sessions.redis.redis.small', SECTIONS.sessions, `Redis hit (GET+PTTL), ${n0} sessions`, small.redisHit),
        latencyRow('sessions.redis.redis.large', SECTIONS.sessions, `Redis hit (GET+PTTL), ${n1} sessions`, large.redisHit, fill),
        scalingRow('sessions.redis.redis.scaling', SECTIONS.sessions, `Redis hit p50, ${n1} vs ${n0}`, small.redisHit, large.redisHit),
      ];
    },
  };
}

function sseScenario(): Scenario {
  return {
    id: 'sse.first-event',
    section: SECTIONS.sse,
    title: 'tools/call whose first SSE event is a notification: time to that event at the client',
    async run(ctx) {
      const r = await sseFirstEvent(ctx.opts.sizes.sseIterations, ctx.cpu(true, 1));
      return [pairRow({ id: 'sse.first-event', section: SECTIONS.sse, title: 'first SSE event, with mcpgw (ext_authz + ext_proc) vs envoy-sim alone', baselineName: 'no mcpgw' }, cellOf(r.withMcpgw), cellOf(r.direct))];
    },
  };
}

function memoryScenario(): Scenario {
  return {
    id: 'memory.process',
    section: SECTIONS.memory,
    title: 'heapUsed delta per binding in MemorySessionRegistry',
    async run(ctx) {
      const n = ctx.opts.sizes.memorySessions;
      const bytes = await ctx.micro<number>({ micro: 'memory-registry', n });
      return [{ id: 'memory.process.memory-registry', section: SECTIONS.memory, title: `MemorySessionRegistry, heapUsed delta over ${fmtCount(n)} bindings`, status: 'ok', value: bytes, unit: 'B/session' }];
    },
  };
}

function redisMemoryScenario(): Scenario {
  return {
    id: 'memory.redis',
    section: SECTIONS.memory,
    title: 'RedisSessionRegistry LRU heap and Redis memory per binding',
    needsRedis: true,
    async run(ctx) {
      const n = ctx.opts.sizes.redisMemorySessions;
      const r = await ctx.micro<RedisMemoryResult>({ micro: 'memory-redis', url: ctx.redisUrl!, n, keyPrefix: 'bench-mem:' });
      const row = (id: string, title: string, value: number): Row => ({ id, section: SECTIONS.memory, title, status: 'ok', value, unit: 'B/session' });
      return [
        row('memory.process.redis-lru', `RedisSessionRegistry in-process LRU, heapUsed delta over ${fmtCount(n)} bindings`, r.lruBytesPerSession),
        row('memory.redis.used-memory', `Redis INFO used_memory delta per binding (key, list bucket entry, pod counts), ${fmtCount(n)} bindings`, r.redisBytesPerSession),
        row('memory.redis.binding-key', 'Redis MEMORY USAGE of one binding key', r.bindingKeyBytes),
      ];
    },
  };
}

function clusterScenario(workload: WorkloadName, label: string): Scenario {
  const id = `cluster.${label}`;
  return {
    id,
    section: SECTIONS.cluster,
    title: `${label}: 2 cluster workers vs 1 process, 128 in flight over 4 connections`,
    group: 'cluster',
    needsCluster: true,
    async run(ctx) {
      const single = await ctx.server('mcpgw-single', { kind: 'mcpgw', config: mcpgwConfig(), pinned: false });
      const workers = await ctx.server('mcpgw-cluster', { kind: 'mcpgw-cluster', config: mcpgwConfig(), pinned: false, workers: 2 });
      const job = { workload, concurrency: 128, channels: 4 };
      const one = await ctx.load({ ...job, target: single }, false);
      const two = await ctx.load({ ...job, target: workers }, false);
      const [rss1, rss2] = [await ctx.serverMemory('mcpgw-single'), await ctx.serverMemory('mcpgw-cluster')];
      const mb = (b: number | undefined) => (b === undefined ? '?' : `${Math.round(b / 2 ** 20)} MB`);
      return [pairRow({ id, section: SECTIONS.cluster, title: `${label}, 2 workers vs 1 process`, baselineName: '1 process', note: `RSS ${mb(rss2)} (2 workers + primary) vs ${mb(rss1)}` }, cellOf(two), cellOf(one))];
    },
  };
}

/** One issuer, its token pools and the cached-token results per bench run (the token rows share them). */
interface TokenRun {
  issuer: BenchIssuer;
  pools: Partial<Record<TokenKind, string>>;
  cached: Record<number, LoadResult>;
}
type TokenKind = 'cached' | 'rs256' | 'es256';
const tokenRuns = new WeakMap<BenchContext, TokenRun>();

function tokenRun(ctx: BenchContext): TokenRun {
  let run = tokenRuns.get(ctx);
  if (!run) tokenRuns.set(ctx, (run = { issuer: new BenchIssuer(ctx.scratch()), pools: {}, cached: {} }));
  return run;
}

function tokenPool(ctx: BenchContext, kind: TokenKind): string {
  const run = tokenRun(ctx);
  // Cached: one RS256 token, verified on the first request and a cache hit ever after.
  return (run.pools[kind] ??= kind === 'cached' ? run.issuer.pool('cached', 'RS256', 1) : run.issuer.pool(kind, kind === 'rs256' ? 'RS256' : 'ES256', ctx.opts.sizes.freshTokens));
}

/**
 * Check with `authorization: Bearer`, mcpgw with an issuer (JWKS file) and `auth` on the server, vs
 * the bare Check given the same messages. Fresh: a different token per request (no cache hit).
 */
function tokenScenario(kind: TokenKind, levels: number[]): Scenario {
  const label = kind === 'cached' ? 'a cached (already verified) RS256 token' : `a fresh ${kind.toUpperCase()} token per request`;
  return {
    id: `check.token.${kind}`,
    section: SECTIONS.identity,
    title: `Check with ${label} vs bare`,
    group: 'token',
    async run(ctx) {
      const run = tokenRun(ctx);
      const tokensFile = tokenPool(ctx, kind);
      const { identity, auth } = run.issuer.identityConfig();
      const bare = await ctx.server('bare', { kind: 'bare' });
      const gw = await ctx.server('mcpgw-token', { kind: 'mcpgw', config: mcpgwConfig(0, { identity }, { auth }) });
      const rows: Row[] = [];
      for (const concurrency of levels) {
        const b = await ctx.load({ target: bare, workload: 'check-token', concurrency, tokensFile });
        const m = await ctx.load({ target: gw, workload: 'check-token', concurrency, tokensFile });
        const saturation = concurrency === Math.max(...ctx.opts.sizes.levels);
        const id = `check.token.${kind}.c${concurrency}`;
        const title = `${concurrency} in flight, ${label}${saturation ? ' (saturation)' : ''}`;
        if (kind === 'cached') {
          run.cached[concurrency] = m;
          const target = saturation ? `${ISSUE8_CHECK}, ${ISSUE8_RPS}` : ISSUE8_CHECK;
          rows.push(pairRow({ id, section: SECTIONS.identity, title, baselineName: 'bare', target }, cellOf(m), cellOf(b), (r) => (r.p50 ?? Infinity) <= 1.2 && (r.p99 ?? Infinity) <= 1.5 && (!saturation || (r.rps ?? 0) >= 0.8)));
        } else {
          const cached = run.cached[concurrency];
          const note = cached ? `vs cached token: p50 ${ratio(m.p50, cached.p50)}x, rps ${ratio(m.rps, cached.rps)}x` : undefined;
          rows.push(pairRow({ id, section: SECTIONS.identity, title, baselineName: 'bare', ...(note ? { note } : {}) }, cellOf(m), cellOf(b)));
        }
      }
      return rows;
    },
  };
}

/** In-process: the adapters' own CPU per request (what mcpgw adds besides gRPC), Check and ext_proc. */
function adapterScenario(): Scenario {
  return {
    id: 'adapter',
    section: SECTIONS.adapter,
    title: 'adapter CPU per request, in process (no gRPC)',
    async run(ctx) {
      const r = await ctx.micro<AdapterResult>({ micro: 'adapter', samples: ctx.opts.sizes.decisionSamples });
      return [
        latencyRow('adapter.check', SECTIONS.adapter, 'Check handler: view, decision, metrics, audit, CheckResponse', r.check, `mean ${r.checkMeanUs} µs`),
        latencyRow('adapter.extproc', SECTIONS.adapter, 'ext_proc: 3 messages of a tools/call in a session (headers, body, response headers)', r.extproc, `mean ${r.extprocMeanUs} µs`),
      ];
    },
  };
}

/** In-process: the ext_authz decision with a cached token vs a fresh RS256 / ES256 token (verification cost alone). */
function identityDecisionScenario(): Scenario {
  return {
    id: 'identity.decide',
    section: SECTIONS.identity,
    title: 'decision time (in process), cached vs fresh RS256 / ES256 token',
    async run(ctx) {
      const r = await ctx.micro<IdentityResult>({ micro: 'identity', samples: ctx.opts.sizes.decisionSamples });
      const note = `${r.verificationsPerFresh} signature verifications per fresh-token decision`;
      return [
        latencyRow('identity.decide.cached', SECTIONS.identity, 'tools/call decision, cached token (in process)', r.cached),
        { ...pairRow({ id: 'identity.decide.rs256', section: SECTIONS.identity, title: 'tools/call decision, fresh RS256 token vs cached (in process)', baselineName: 'cached' }, cellOf(r.rs256), cellOf(r.cached)), note },
        { ...pairRow({ id: 'identity.decide.es256', section: SECTIONS.identity, title: 'tools/call decision, fresh ES256 token vs cached (in process)', baselineName: 'cached' }, cellOf(r.es256), cellOf(r.cached)), note },
      ];
    },
  };
}

/** Check of a tools/call with 10 vs 10,000 policy rules (exact tool names), 16 in flight, and the bare Check. */
function rulesScenario(): Scenario {
  return {
    id: 'check.rules',
    section: SECTIONS.identity,
    title: 'Check with 10 vs 10,000 policy rules, 16 in flight',
    group: 'rules',
    async run(ctx) {
      const bare = await ctx.server('bare', { kind: 'bare' });
      const b = await ctx.load({ target: bare, workload: 'check', concurrency: 16 });
      const res: Record<number, LoadResult> = {};
      for (const n of [10, 10_000]) {
        const gw = await ctx.server(`mcpgw-rules-${n}`, { kind: 'mcpgw', config: mcpgwConfig(0, {}, policyRules(n)) });
        res[n] = await ctx.load({ target: gw, workload: 'check', concurrency: 16 });
      }
      const [small, large] = [res[10]!, res[10_000]!];
      const row = (n: number, r: LoadResult): Row => pairRow({ id: `check.rules.${n}`, section: SECTIONS.identity, title: `${n} rules, 16 in flight`, baselineName: 'bare' }, cellOf(r), cellOf(b));
      return [row(10, small), row(10_000, large), scalingRow('check.rules.scaling', SECTIONS.identity, 'Check p50, 10,000 vs 10 rules', small, large)];
    },
  };
}

/** In-process: the ext_authz decision for a tools/call with 10 vs 10,000 rules (no gRPC noise). */
function policyDecisionScenario(): Scenario {
  return {
    id: 'policy.decide',
    section: SECTIONS.identity,
    title: 'decision time (in process), 10 vs 10,000 rules',
    async run(ctx) {
      const samples = ctx.opts.sizes.decisionSamples;
      const [small, large] = await ctx.microBatch<PolicyResult>([
        { micro: 'policy', rules: 10, samples },
        { micro: 'policy', rules: 10_000, samples },
      ]);
      const note = (r: PolicyResult) => `config parse + compile ${r.compileMs} ms`;
      return [
        latencyRow('policy.decide.10', SECTIONS.identity, 'tools/call decision, 10 rules (in process)', small!.decide, note(small!)),
        latencyRow('policy.decide.10000', SECTIONS.identity, 'tools/call decision, 10,000 rules (in process)', large!.decide, note(large!)),
        scalingRow('policy.decide.scaling', SECTIONS.identity, 'decision p50, 10,000 vs 10 rules', small!.decide, large!.decide),
      ];
    },
  };
}

const LIMIT_COUNTS = [0, 1, 3, 10];

/** Follow-up tools/call decided in process with 0/1/3/10 limits (rates and quotas), memory or Redis. */
function limitsScenario(store: 'memory' | 'redis'): Scenario {
  return {
    id: `limits.${store}`,
    section: SECTIONS.limits,
    title: `decision time with 1, 3 and 10 limits per request (${store})`,
    ...(store === 'redis' ? { needsRedis: true } : {}),
    async run(ctx) {
      const [cases] = await ctx.microBatch<LimitsCase[]>([
        { micro: 'limits', store, counts: LIMIT_COUNTS, samples: ctx.opts.sizes.decisionSamples, ...(store === 'redis' ? { url: ctx.redisUrl!, keyPrefix: 'bench-limits:' } : {}) },
      ]);
      const none = cases!.find((c) => c.limits === 0)!;
      const rows: Row[] = [];
      for (const c of cases!) {
        if (c.limits === 0) continue;
        const extra = c.redis ? `; ${c.redis.readsPerRequest} Redis round trip(s)/request` : '';
        rows.push({
          ...pairRow({ id: `limits.${store}.${c.limits}`, section: SECTIONS.limits, title: `follow-up tools/call, ${c.limits} limit${c.limits > 1 ? 's' : ''} (${store}) vs none`, baselineName: 'no limits' }, cellOf(c.decide), cellOf(none.decide)),
          note: `base = the same decision with no limits${extra}`,
        });
      }
      if (store === 'redis') {
        const per = cases!.filter((c) => c.limits > 0 && c.redis);
        const worst = Math.max(...per.map((c) => c.redis!.readsPerRequest));
        rows.push({
          id: 'limits.redis.round-trips',
          section: SECTIONS.limits,
          title: 'Redis round trips per request (target: 1, pipelined), worst of 1/3/10 limits',
          status: 'ok',
          value: worst,
          unit: 'round trips',
          target: '1 round trip per request',
          met: worst <= 1.05,
          note: per.map((c) => `${c.limits} limits: ${c.redis!.readsPerRequest} reads, ${c.redis!.evalshaPerRequest} EVALSHA, ${c.redis!.commandsPerRequest} commands incl. those run inside the script`).join('; ') + `; no limits: ${none.redis?.readsPerRequest ?? '?'} (session cached in process)`,
        });
      }
      return rows;
    },
  };
}

/**
 * In-process worst cases, in one child: decisions under globs that are pathological for a
 * backtracking matcher with names at the caps; and 10,000 distinct tool names per second through a
 * per-tool limit, where the heap must stay flat.
 */
function hostileScenario(): Scenario {
  return {
    id: 'hostile',
    section: SECTIONS.hostile,
    title: 'pathological globs against names at the caps; a flood of distinct tool names through a limit',
    async run(ctx) {
      const { decisionSamples, floodSeconds, floodCounters } = ctx.opts.sizes;
      const [glob, flood] = (await ctx.microBatch<unknown>([
        { micro: 'hostile-glob', samples: decisionSamples },
        { micro: 'name-flood', seconds: floodSeconds, perSecond: 10_000, memoryCounters: floodCounters },
      ])) as [HostileGlobResult, NameFloodResult];
      const globRow = (id: string, title: string, s: LatencySummary) =>
        pairRow({ id: `hostile.glob.${id}`, section: SECTIONS.hostile, title, baselineName: 'ordinary tools/call', target: 'p50 < 1 ms (was seconds with backtracking regexes)' }, cellOf(s), cellOf(glob.ordinary), () => s.p50 < 1000);
      const growth = Math.round((flood.heapAfterMb - flood.heapBeforeMb) * 10) / 10;
      return [
        globRow('tool', `tools/call, tool name at the cap (${glob.nameBytes} bytes of "a"), globs *a*a*a*a*a*b and co. (in process)`, glob.toolAtCap),
        globRow('uri', `resources/read, URI at the cap (${glob.uriBytes} bytes), glob file:///data/*/public/*.txt and co. (in process)`, glob.uriAtCap),
        {
          id: 'hostile.names.heap',
          section: SECTIONS.hostile,
          title: `heap after ${fmtCount(flood.names)} more distinct 1 KiB tool names through a per-tool limit (LRU of ${fmtCount(flood.memoryCounters)} counters full before)`,
          status: 'ok',
          value: flood.heapAfterMb,
          unit: 'MB heap',
          target: 'flat: growth ≤ 5 MB; ≥ 10,000 names/s',
          met: growth <= 5 && flood.namesPerSecond >= 10_000,
          note: `heap before ${flood.heapBeforeMb} MB, after ${flood.heapAfterMb} MB (growth ${growth} MB); ${flood.namesPerSecond} names/s decided (ext_proc, in process)`,
        },
      ];
    },
  };
}

/** The same stdio server and client through mcpgw bridge, bridge --shared, supergateway and mcp-proxy. */
function bridgeScenario(): Scenario {
  return {
    id: 'bridge',
    section: SECTIONS.bridge,
    title: 'mcpgw bridge vs direct stdio, supergateway and mcp-proxy',
    async run(ctx) {
      const { bridgeCalls: calls, bridgeSessions: sessions } = ctx.opts.sizes;
      const r = await ctx.micro<BridgeBenchResult>({ micro: 'bridge', calls, sessions });
      const added = (p: { p50: number }) => Math.round((p.p50 - r.direct.p50) * 100) / 100;
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
      const section = SECTIONS.bridge;
      const others = [
        { key: 'shared', name: 'mcpgw bridge --shared', m: r.bridgeShared },
        { key: 'supergateway', name: 'supergateway --stateful', m: r.supergateway },
        { key: 'mcp-proxy', name: 'mcp-proxy', m: r.mcpProxy },
      ];
      const ran = others.flatMap((o) => ('error' in o.m ? [] : [{ ...o, m: o.m }]));
      const per = (f: (m: BridgeBenchResult['bridge']) => string) => ran.map((o) => `${o.name}: ${f(o.m)}`).join('; ');
      return [
        pairRow({ id: 'bridge.call', section, title: `tools/call through mcpgw bridge (Streamable HTTP) vs direct stdio, ${calls} calls`, baselineName: 'direct stdio' }, cellOf(r.bridge.call), cellOf(r.direct)),
        { id: 'bridge.call.added', section, title: 'added latency per call, p50 (bridge − direct)', status: 'ok', value: Math.max(0.01, added(r.bridge.call)), unit: 'µs', note: per((m) => `${added(m.call)} µs`) },
        {
          id: 'bridge.memory',
          section,
          title: `resident memory per session, bridge process + its children, ${sessions} sessions`,
          status: 'ok',
          value: r.bridge.bytesPerSession,
          unit: 'B/session',
          note: `${mib(r.bridge.bytesPerSession)}, ${r.bridge.children} processes under it; the bridge process alone ${r.bridge.proxyBytesPerSession} B/session; ${per((m) => `${mib(m.bytesPerSession)}, ${m.children} processes (alone ${m.proxyBytesPerSession} B/session)`)}`,
        },
        ...others.map((o): Row =>
          'error' in o.m
            ? { id: `bridge.call.${o.key}`, section, title: `tools/call through ${o.name}`, status: 'skipped', note: `skipped: ${o.name} did not run (${o.m.error})` }
            : pairRow({ id: `bridge.call.${o.key}`, section, title: `tools/call through ${o.name} (Streamable HTTP) vs direct stdio, ${calls} calls`, baselineName: 'direct stdio' }, cellOf(o.m.call), cellOf(r.direct)),
        ),
      ];
    },
  };
}

const pending = (id: string, section: keyof typeof SECTIONS, title: string, issue: number): Scenario => ({ id, section: SECTIONS[section], title, pending: `pending: issue ${issue}` });

export function scenarios(levels: number[], tokenLevels: number[] = levels.filter((l) => l <= 16)): Scenario[] {
  return [
    ...levels.map((c) => grpcPair('check', 'check', c, ISSUE8_CHECK, (r) => (r.p50 ?? Infinity) <= 1.2 && (r.p99 ?? Infinity) <= 1.5)),
    tokenScenario('cached', levels),
    tokenScenario('rs256', tokenLevels),
    tokenScenario('es256', tokenLevels),
    identityDecisionScenario(),
    rulesScenario(),
    policyDecisionScenario(),
    ...levels.map((c) => grpcPair('extproc', 'extproc-call', c, ISSUE8_EXTPROC, (r) => (r.p50 ?? Infinity) <= 1.25)),
    adapterScenario(),
    affinityScenario('ring_hash'),
    affinityScenario('maglev'),
    affinityWindowScenario('ring_hash'),
    affinityWindowScenario('maglev'),
    recoveryScenario(),
    initializeByPods(),
    memorySessionsScenario(),
    redisSessionsScenario(),
    sseScenario(),
    memoryScenario(),
    redisMemoryScenario(),
    limitsScenario('memory'),
    limitsScenario('redis'),
    hostileScenario(),
    bridgeScenario(),
    redisTopologiesScenario(),
    clusterScenario('check', 'check'),
    clusterScenario('extproc-stateless', 'extproc'),
    ...shippedScenarios({ mcpgwConfig }),
  ];
}
