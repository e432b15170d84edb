// Command-line options of `npm run bench` and the size of each mode.

export type Mode = 'full' | 'quick' | 'tiny';

export interface BenchOptions {
  mode: Mode;
  profile: boolean;
  taskset: boolean;
  redis: boolean;
  cluster: boolean;
  /** Only scenarios whose id matches (pending rows are always listed). */
  only?: RegExp;
  outDir: string;
  sizes: Sizes;
}

export interface Sizes {
  levels: number[];
  warmupMs: number;
  durationMs: number;
  /** Stops each gRPC row after this many measured requests (tiny mode). */
  maxRequests?: number;
  /** Measured initialize streams per pod-count row. */
  initializeRequests: number;
  affinityBuilds: number;
  lookups: number;
  sessionsSmall: number;
  sessionsLarge: number;
  redisSessionsLarge: number;
  /** Stop filling Redis after this long and report the count reached. */
  redisFillBudgetMs: number;
  decisionSamples: number;
  /** Initialize decisions measured at the large session count (each walks every session). */
  largeInitializeSamples: number;
  sseIterations: number;
  memorySessions: number;
  redisMemorySessions: number;
  /**
   * Distinct tokens per fresh-token pool. Above the verified-token cache (10,000 entries) a cyclic walk
   * never hits; below it, the pool must outlast the requests of the run (quick, tiny).
   */
  freshTokens: number;
  /** Levels (in flight) of the fresh-token rows. */
  tokenLevels: number[];
  /** Name flood: seconds of 10,000 distinct tool names each, after filling an LRU of floodCounters. */
  floodSeconds: number;
  floodCounters: number;
  /** `mcpgw bridge` rows: sequential tools/call per path, and sessions opened for memory per session. */
  bridgeCalls: number;
  bridgeSessions: number;
}

const SIZES: Record<Mode, Sizes> = {
  full: {
    levels: [1, 16, 128],
    warmupMs: 1500,
    durationMs: 8000,
    initializeRequests: 3000,
    affinityBuilds: 30,
    lookups: 100_000,
    sessionsSmall: 1000,
    sessionsLarge: 1_000_000,
    redisSessionsLarge: 1_000_000,
    redisFillBudgetMs: 150_000,
    decisionSamples: 20_000,
    largeInitializeSamples: 5,
    sseIterations: 200,
    memorySessions: 200_000,
    redisMemorySessions: 50_000,
    freshTokens: 10_500,
    tokenLevels: [1, 16],
    floodSeconds: 20,
    floodCounters: 100_000,
    bridgeCalls: 2000,
    bridgeSessions: 10,
  },
  quick: {
    levels: [1, 16, 128],
    warmupMs: 200,
    durationMs: 500,
    initializeRequests: 300,
    affinityBuilds: 5,
    lookups: 10_000,
    sessionsSmall: 1000,
    sessionsLarge: 100_000,
    redisSessionsLarge: 20_000,
    redisFillBudgetMs: 5000,
    decisionSamples: 2000,
    largeInitializeSamples: 3,
    sseIterations: 30,
    memorySessions: 20_000,
    redisMemorySessions: 5000,
    freshTokens: 6000,
    tokenLevels: [1, 16],
    floodSeconds: 3,
    floodCounters: 10_000,
    bridgeCalls: 300,
    bridgeSessions: 4,
  },
  tiny: {
    levels: [1, 16, 128],
    warmupMs: 100,
    durationMs: 400,
    maxRequests: 300,
    initializeRequests: 100,
    affinityBuilds: 2,
    lookups: 1000,
    sessionsSmall: 1000,
    sessionsLarge: 10_000,
    redisSessionsLarge: 2000,
    redisFillBudgetMs: 2000,
    decisionSamples: 300,
    largeInitializeSamples: 2,
    sseIterations: 6,
    memorySessions: 2000,
    redisMemorySessions: 1000,
    freshTokens: 600,
    tokenLevels: [1],
    floodSeconds: 0.2,
    floodCounters: 1000,
    bridgeCalls: 30,
    bridgeSessions: 2,
  },
};

export const USAGE = `npm run bench -- [--quick | --tiny] [--profile] [--no-taskset] [--no-redis] [--no-cluster] [--only REGEX] [--out DIR]
  --quick       ~1 min smoke of every row (short runs, 100k sessions instead of 1M)
  --tiny        a few hundred requests per row, for test/bench/smoke.test.ts
  --profile     run the mcpgw and bare servers under node --cpu-prof; .cpuprofile files and a top-15 summary of each
  --no-taskset  do not pin processes to CPUs
  --no-redis    skip the rows that need redis-server
  --no-cluster  skip the node:cluster prototype rows
  --only REGEX  run only the scenarios whose id matches
  --out DIR     where <date>.json goes (default bench/results)`;

export function parseOptions(argv: string[], defaultOutDir: string): BenchOptions {
  let mode: Mode = 'full';
  const o = { profile: false, taskset: true, redis: true, cluster: true } as Omit<BenchOptions, 'mode' | 'sizes' | 'outDir'>;
  let outDir = defaultOutDir;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') mode = 'quick';
    else if (a === '--tiny') mode = 'tiny';
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-taskset') o.taskset = false;
    else if (a === '--no-redis') o.redis = false;
    else if (a === '--no-cluster') o.cluster = false;
    else if (a === '--only') o.only = new RegExp(argv[++i] ?? '');
    else if (a === '--out') outDir = argv[++i] ?? outDir;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return { mode, ...o, outDir, sizes: SIZES[mode] };
}
