// Issue 15 rows: what a request costs through the shipped wiring (a headers-only Check, the body read
// once by ext_proc) against bare servers given the same messages, interleaved round by round and the
// best of the rounds kept; idle memory; SSE event spacing with and without mcpgw.
import type { BenchContext } from './context.js';
import { BenchIssuer } from './identity.js';
import { idleMemory } from './idle.js';
import type { AdapterResult } from './micro/adapter.js';
import type { LoadJob, LoadResult } from './proc/loadgen.js';
import { cellOf, pairRow, type Row } from './report.js';
import type { Scenario } from './scenarios.js';
import { sseFirstEvent } from './sse.js';

const SECTION = 'Shipped wiring (issue 15): headers-only Check + ext_proc with the body, vs bare; interleaved, best of rounds';
const CHECK_TARGET = 'p50 ≤ 1.1x, p99 ≤ 1.3x';
const REQUEST_TARGET = 'p50 ≤ 1.15x';
const IDLE_RSS_TARGET_MB = 80;

type Job = Omit<LoadJob, 'warmupMs' | 'durationMs' | 'channels' | 'concurrency'>;

/** Keeps each figure's best round: lowest p50 (and the rest of that round), lowest p99, highest rps. */
function best(a: LoadResult | undefined, r: LoadResult): LoadResult {
  if (!a) return r;
  const base = r.p50 < a.p50 ? r : a;
  return { ...base, p99: Math.min(a.p99, r.p99), rps: Math.max(a.rps, r.rps), errors: a.errors + r.errors };
}

/** Rounds per level, and how long each side is driven untimed first (JIT and pools warm before 1 in flight is timed). */
const ROUNDS = { tiny: { rounds: 1, warmMs: 0 }, quick: { rounds: 5, warmMs: 1500 }, full: { rounds: 6, warmMs: 4000 } } as const;

/**
 * Bare and mcpgw alternate round after round (ABBA: the side that goes first swaps each round), so
 * drift lands on both; full mode splits a row's time over its rounds.
 */
/** The median of the rounds' own p50 ratios (each round's mcpgw run against the bare run beside it). */
function medianRatio(gw: number[], bare: number[]): number {
  const r = gw.map((g, i) => g / (bare[i] as number)).sort((x, y) => x - y);
  const mid = r.length >> 1;
  return r.length % 2 ? (r[mid] as number) : ((r[mid - 1] as number) + (r[mid] as number)) / 2;
}

async function interleaved(ctx: BenchContext, bare: Job, gw: Job, concurrency: number): Promise<{ bare: LoadResult; gw: LoadResult; cpu: { bare: number; gw: number }; pairedP50: number }> {
  const { rounds } = ROUNDS[ctx.opts.mode];
  const durationMs = ctx.opts.mode === 'full' ? (ctx.opts.sizes.durationMs * 3) / rounds : ctx.opts.sizes.durationMs;
  let b: LoadResult | undefined;
  let m: LoadResult | undefined;
  const cpu = { bare: { us: 0, requests: 0 }, gw: { us: 0, requests: 0 } };
  const p50s = { bare: [] as number[], gw: [] as number[] };
  /** One timed round; the server's CPU time over it, per completed request, is summed for the row. */
  const round = async (job: Job, side: 'bare' | 'gw') => {
    const before = await ctx.serverCpuUs(job.target);
    const r = await ctx.load({ ...job, concurrency, durationMs });
    cpu[side].us += (await ctx.serverCpuUs(job.target)) - before;
    cpu[side].requests += r.completed;
    p50s[side].push(r.p50);
    return r;
  };
  for (let i = 0; i < rounds; i++) {
    const runBare = async () => void (b = best(b, await round(bare, 'bare')));
    const runGw = async () => void (m = best(m, await round(gw, 'gw')));
    if (i % 2 === 0) await runBare(), await runGw();
    else await runGw(), await runBare();
  }
  const perRequest = (c: { us: number; requests: number }) => Math.round((c.us / Math.max(1, c.requests)) * 10) / 10;
  return { bare: b!, gw: m!, cpu: { bare: perRequest(cpu.bare), gw: perRequest(cpu.gw) }, pairedP50: medianRatio(p50s.gw, p50s.bare) };
}

/** Drives both servers untimed at 16 in flight, so the first timed level (1 in flight) meets warm code on both sides. */
async function warm(ctx: BenchContext, bare: Job, gw: Job): Promise<void> {
  const { warmMs } = ROUNDS[ctx.opts.mode];
  if (warmMs === 0) return;
  for (const job of [bare, gw]) await ctx.load({ ...job, concurrency: 16, warmupMs: warmMs, durationMs: 1 });
}

function pairScenario(id: string, title: string, target: string, rpsFloor: number, p50: number, p99: number | undefined, servers: (ctx: BenchContext) => Promise<{ bare: Job; gw: Job }>): Scenario {
  return {
    id,
    section: SECTION,
    title,
    group: 'shipped',
    async run(ctx) {
      const { bare, gw } = await servers(ctx);
      await warm(ctx, bare, gw);
      const rows: Row[] = [];
      const top = Math.max(...ctx.opts.sizes.levels);
      for (const concurrency of ctx.opts.sizes.levels) {
        const r = await interleaved(ctx, bare, gw, concurrency);
        const saturation = concurrency === top;
        const fullTarget = `${target}${saturation ? `, rps ≥ ${rpsFloor}x` : ''}`;
        const met = (q: NonNullable<Row['ratio']>) => (q.p50 ?? Infinity) <= p50 && (p99 === undefined || (q.p99 ?? Infinity) <= p99) && (!saturation || (q.rps ?? 0) >= rpsFloor);
        // Server CPU per request, and the median of the rounds' own p50 ratios, move far less with the
        // machine's load than the best-of-rounds figures do.
        const note = `server CPU ${r.cpu.gw} vs ${r.cpu.bare} µs/request, ${(r.cpu.gw / r.cpu.bare).toFixed(2)}x; p50 ratio of paired rounds, median ${r.pairedP50.toFixed(2)}x`;
        rows.push(pairRow({ id: `${id}.c${concurrency}`, section: SECTION, title: `${concurrency} in flight${saturation ? ' (saturation)' : ''}`, baselineName: 'bare', target: fullTarget, note }, cellOf(r.gw), cellOf(r.bare), met));
      }
      return rows;
    },
  };
}

interface ShippedDeps {
  mcpgwConfig(pods?: number, extra?: Record<string, unknown>, server?: Record<string, unknown>): Record<string, unknown>;
}

/** mcpgw's own CPU for one tools/call, in process: the shipped wiring vs the body sent to both hooks. */
function adapterScenario(): Scenario {
  return {
    id: 'shipped.adapter',
    section: SECTION,
    title: "mcpgw's own CPU per tools/call, in process",
    async run(ctx) {
      const r = await ctx.micro<AdapterResult>({ micro: 'adapter', samples: ctx.opts.sizes.decisionSamples });
      return [pairRow({ id: 'shipped.adapter', section: SECTION, title: "mcpgw's own CPU per tools/call in process: headers-only Check + ext_proc vs body in both", baselineName: 'body twice' }, cellOf(r.shipped), cellOf(r.bodyTwice))];
    },
  };
}

function idleScenario(): Scenario {
  return {
    id: 'shipped.idle',
    section: SECTION,
    title: 'mcpgw serve idle (compiled, examples/gateway.yaml), once V8 has settled',
    async run(ctx) {
      // Tiny mode (the smoke test) does not wait for V8 to settle.
      const m = await idleMemory(ctx.cpu(true, 1), ctx.opts.mode === 'tiny' ? 0 : 60_000);
      const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
      return [
        {
          id: 'shipped.idle.rss',
          section: SECTION,
          title: 'idle resident memory, settled',
          status: 'ok',
          value: mb(m.rss),
          unit: 'MB',
          target: `≤ ${IDLE_RSS_TARGET_MB} MB`,
          met: mb(m.rss) <= IDLE_RSS_TARGET_MB,
          note: `settled ${(m.settledMs / 1000).toFixed(1)} s after start; 2 s after start: ${mb(m.rssAtStart)} MB; after full GCs: ${mb(m.rssAfterGc)} MB`,
        },
        { id: 'shipped.idle.heap', section: SECTION, title: 'heap used after full GCs', status: 'ok', value: mb(m.heapAfterGc), unit: 'MB', note: `before: ${mb(m.heapUsed)} MB` },
      ];
    },
  };
}

function sseScenario(deps: ShippedDeps): Scenario {
  return {
    id: 'shipped.sse',
    section: SECTION,
    title: 'SSE through envoy-sim with the shipped wiring vs no mcpgw',
    group: 'shipped',
    async run(ctx) {
      const r = await sseFirstEvent(ctx.opts.sizes.sseIterations, ctx.cpu(true, 1));
      // What the first event waits for: the Check and three ext_proc messages, alone, 1 in flight.
      const target = await ctx.server('mcpgw-shipped', { kind: 'mcpgw', config: deps.mcpgwConfig() });
      const trips = await ctx.load({ target, workload: 'shipped-call', concurrency: 1 });
      const overhead = Math.max(0.01, Math.round((r.withMcpgw.p50 - r.direct.p50) * 100) / 100);
      return [
        pairRow({ id: 'shipped.sse.gap', section: SECTION, title: 'time between SSE events (pod pauses 2 ms), with mcpgw vs none', baselineName: 'no mcpgw', target: 'p50 ≤ 1.1x (response body not sent to mcpgw)' }, cellOf(r.gapWithMcpgw), cellOf(r.gapDirect), (q) => (q.p50 ?? Infinity) <= 1.1),
        { id: 'shipped.sse.first-event-overhead', section: SECTION, title: 'first-event p50, with mcpgw minus none', status: 'ok', value: overhead, unit: 'µs', note: `the shipped wiring's gRPC round trips alone (Check + 3 ext_proc messages, 1 in flight): p50 ${trips.p50} µs; first event ${r.withMcpgw.p50} vs ${r.direct.p50} µs` },
      ];
    },
  };
}

/** The issue 15 scenarios; `deps` gives mcpgw's bench config (scenarios.ts). */
export function shippedScenarios(deps: ShippedDeps): Scenario[] {
  let issuer: BenchIssuer | undefined;
  const noToken = async (ctx: BenchContext) => ({
    bare: { target: await ctx.server('bare', { kind: 'bare' }), workload: 'check-headers' as const },
    gw: { target: await ctx.server('mcpgw-shipped', { kind: 'mcpgw', config: deps.mcpgwConfig() }), workload: 'check-headers' as const },
  });
  const cachedToken = async (ctx: BenchContext) => {
    issuer ??= new BenchIssuer(ctx.scratch());
    const tokensFile = issuer.pool('shipped-cached', 'RS256', 1);
    const { identity, auth } = issuer.identityConfig();
    return {
      bare: { target: await ctx.server('bare', { kind: 'bare' }), workload: 'check-headers-token' as const, tokensFile },
      gw: { target: await ctx.server('mcpgw-shipped-token', { kind: 'mcpgw', config: deps.mcpgwConfig(0, { identity }, { auth }) }), workload: 'check-headers-token' as const, tokensFile },
    };
  };
  const request = async (ctx: BenchContext) => ({
    bare: { target: await ctx.server('bare', { kind: 'bare' }), workload: 'shipped-call' as const },
    gw: { target: await ctx.server('mcpgw-shipped', { kind: 'mcpgw', config: deps.mcpgwConfig() }), workload: 'shipped-call' as const },
  });
  return [
    pairScenario('shipped.check', 'headers-only Check, no token, vs bare Check', CHECK_TARGET, 0.9, 1.1, 1.3, noToken),
    pairScenario('shipped.check-token', 'headers-only Check, cached RS256 token, vs bare Check', CHECK_TARGET, 0.9, 1.1, 1.3, cachedToken),
    pairScenario('shipped.request', 'one tools/call: Check + ext_proc headers, body, response headers, vs bare servers', REQUEST_TARGET, 0.85, 1.15, undefined, request),
    adapterScenario(),
    sseScenario(deps),
    idleScenario(),
  ];
}
