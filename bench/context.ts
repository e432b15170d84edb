// What scenarios share: the load generator, server processes (per group, so profiles are per
// group), fresh children for in-process rows, and the optional redis-server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compiledTree } from './build.js';
import { imageNodeFlags } from './idle.js';
import type { BenchOptions } from './options.js';
import { benchEntry, spawnChild, type Child } from './proc/spawn.js';
import type { LoadJob, LoadResult } from './proc/loadgen.js';
import type { MicroJob } from './proc/micro.js';

export const SERVER_CPU = 1;
export const LOADGEN_CPU = 0;

export type ServerKind = 'mcpgw' | 'bare' | 'mcpgw-cluster';

export interface ServerSpec {
  kind: ServerKind;
  /** mcpgw config (JSON-able). */
  config?: unknown;
  /** Pin to SERVER_CPU when taskset is on (default true). */
  pinned?: boolean;
  workers?: number;
}

export class BenchContext {
  private loadgenChild?: Child;
  private loadgenPinned?: boolean;
  private readonly servers = new Map<string, Child>();
  readonly profiles: Array<{ name: string; dir: string }> = [];
  private scratchDir?: string;

  constructor(
    readonly opts: BenchOptions,
    readonly taskset: boolean,
    readonly redisUrl: string | undefined,
    readonly profileDir: string,
  ) {}

  cpu(pinned: boolean, cpu: number): number | undefined {
    return this.taskset && pinned ? cpu : undefined;
  }

  /** Runs a load job on the (shared) load generator, pinned to LOADGEN_CPU unless told not to. */
  async load(job: Omit<LoadJob, 'warmupMs' | 'durationMs' | 'channels'> & Partial<LoadJob>, pinned = true): Promise<LoadResult> {
    if (!this.loadgenChild || this.loadgenPinned !== pinned) {
      await this.loadgenChild?.stop();
      this.loadgenChild = await spawnChild(benchEntry('./loadgen.ts'), { cpu: this.cpu(pinned, LOADGEN_CPU) });
      this.loadgenPinned = pinned;
    }
    const s = this.opts.sizes;
    const full: LoadJob = { warmupMs: s.warmupMs, durationMs: s.durationMs, channels: 1, ...(s.maxRequests ? { maxRequests: s.maxRequests } : {}), ...job };
    return this.loadgenChild.request<LoadResult>({ job: full });
  }

  /** A server process for `name`, started on first use and kept until stopServers(). */
  async server(name: string, spec: ServerSpec): Promise<string> {
    const running = this.servers.get(name);
    if (running) return String(running.ready.grpc);
    // The bare baseline too, so the two profiles can be read side by side.
    const profiled = this.opts.profile && spec.kind !== 'mcpgw-cluster';
    // One directory per server: node writes a profile per thread (tsx's loader runs in a worker).
    const dir = path.join(this.profileDir, name);
    // Both sides run with the image's V8 flags (Dockerfile NODE_OPTIONS).
    const nodeFlags = [...imageNodeFlags(), ...(profiled ? ['--cpu-prof', '--cpu-prof-dir', dir] : [])];
    if (profiled) this.profiles.push({ name, dir });
    const entry = spec.kind === 'bare' ? './bareServer.ts' : spec.kind === 'mcpgw' ? './mcpgwServer.mjs' : '../cluster/mcpgwCluster.ts';
    const config = JSON.stringify(spec.config ?? {});
    const env: Record<string, string> = { MCPGW_BENCH_WORKERS: String(spec.workers ?? 2) };
    if (spec.kind !== 'bare') env.MCPGW_BENCH_DIST = compiledTree();
    // A large config (10,000 rules) does not fit in one environment variable (128 KiB on Linux).
    if (config.length > 32_768) {
      env.MCPGW_BENCH_CONFIG_FILE = path.join(this.scratch(), `${name}.config.json`);
      writeFileSync(env.MCPGW_BENCH_CONFIG_FILE, config);
    } else env.MCPGW_BENCH_CONFIG = config;
    const child = await spawnChild(benchEntry(entry), { cpu: this.cpu(spec.pinned ?? true, SERVER_CPU), nodeFlags, env });
    this.servers.set(name, child);
    return String(child.ready.grpc);
  }

  /** CPU time (user + system, µs) a server process has used so far, by its gRPC address. */
  async serverCpuUs(target: string): Promise<number> {
    const c = [...this.servers.values()].find((s) => String(s.ready.grpc) === target);
    if (!c) throw new Error(`no bench server at ${target}`);
    const u = await c.request<{ user: number; system: number }>({ cpu: true });
    return u.user + u.system;
  }

  /** Resident memory of a server process (all workers for a cluster). */
  async serverMemory(name: string): Promise<number | undefined> {
    const c = this.servers.get(name);
    if (!c) return undefined;
    const m = await c.request<{ rss: number }>({ memory: true });
    return m.rss;
  }

  async stopServers(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(all.map((c) => c.stop()));
  }

  /** One in-process job in a fresh child (clean heap, --expose-gc), pinned to SERVER_CPU. */
  async micro<T>(job: MicroJob): Promise<T> {
    const [result] = await this.microBatch<T>([job]);
    return result as T;
  }

  /** Several in-process jobs, one after another in one fresh child (saves a start-up per job). */
  async microBatch<T>(jobs: MicroJob[]): Promise<T[]> {
    const child = await spawnChild(benchEntry('./micro.ts'), { cpu: this.cpu(true, SERVER_CPU), nodeFlags: ['--expose-gc', '--max-old-space-size=12288'] });
    try {
      const results: T[] = [];
      for (const job of jobs) results.push(await child.request<T>({ job }));
      return results;
    } finally {
      await child.stop();
    }
  }

  /** A temporary directory for this run (JWKS, token pools, large configs), removed by close(). */
  scratch(): string {
    return (this.scratchDir ??= mkdtempSync(path.join(tmpdir(), 'mcpgw-bench-')));
  }

  async close(): Promise<void> {
    await this.stopServers();
    await this.loadgenChild?.stop();
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
  }
}
