// `npm run bench [-- --quick | --tiny] [--profile] …`: runs every scenario (scenarios.ts), prints
// the table and writes bench/results/<date>.json. See docs/performance.md.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis, type RedisProcess } from '../test/support/redis.js';
import { BenchContext } from './context.js';
import { machineInfo } from './machine.js';
import { parseOptions, type BenchOptions } from './options.js';
import { tasksetUsable } from './proc/spawn.js';
import { formatProfile, summarizeProfileFile, type ProfileSummary } from './profile/summarize.js';
import { formatTable, writeResult, type BenchResult, type Row } from './report.js';
import { scenarios } from './scenarios.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function runBench(opts: BenchOptions, log: (line: string) => void = (l) => console.error(l)): Promise<{ result: BenchResult; file: string }> {
  const started = Date.now();
  const taskset = opts.taskset && tasksetUsable();
  let redis: RedisProcess | undefined;
  const needRedis = opts.redis && scenarios(opts.sizes.levels, opts.sizes.tokenLevels).some((s) => s.needsRedis && !s.pending && (!opts.only || opts.only.test(s.id)));
  let redisProblem = opts.redis ? undefined : 'skipped: --no-redis';
  if (needRedis) {
    if (!existsSync('/usr/bin/redis-server')) redisProblem = 'skipped: no /usr/bin/redis-server (apt-get install redis-server)';
    else redis = await startRedis();
  }
  const profileDir = path.join(opts.outDir, 'profiles');
  if (opts.profile) mkdirSync(profileDir, { recursive: true });
  const ctx = new BenchContext(opts, taskset, redis?.url, profileDir);
  const rows: Row[] = [];
  let group: string | undefined;
  try {
    for (const s of scenarios(opts.sizes.levels, opts.sizes.tokenLevels)) {
      const base = { id: s.id, section: s.section, title: s.title };
      if (s.pending) {
        rows.push({ ...base, status: 'pending', note: s.pending });
        continue;
      }
      if (opts.only && !opts.only.test(s.id)) continue;
      if (s.needsRedis && !redis) {
        rows.push({ ...base, status: 'skipped', note: redisProblem ?? 'skipped' });
        continue;
      }
      if (s.needsCluster && !opts.cluster) {
        rows.push({ ...base, status: 'skipped', note: 'skipped: --no-cluster' });
        continue;
      }
      if (s.group !== group) {
        await ctx.stopServers();
        group = s.group;
      }
      const t0 = Date.now();
      log(`bench: ${s.id} …`);
      try {
        const produced = (await s.run?.(ctx)) ?? [];
        rows.push(...produced);
        log(`bench: ${s.id} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (err) {
        rows.push({ ...base, status: 'error', note: (err as Error).message.split('\n')[0] });
        log(`bench: ${s.id} failed: ${(err as Error).stack ?? err}`);
      }
    }
  } finally {
    await ctx.close();
    await redis?.stop();
  }
  const result: BenchResult = { machine: machineInfo(taskset), mode: opts.mode, durationSeconds: Math.round((Date.now() - started) / 1000), rows };
  if (opts.profile) {
    result.profiles = {};
    for (const p of ctx.profiles) {
      const main = mainThreadProfile(p.dir);
      if (main) result.profiles[p.name] = { file: path.relative(process.cwd(), main.file), ...main.summary };
    }
  }
  return { result, file: writeResult(opts.outDir, result) };
}

/** The busiest of a server's per-thread profiles: its main thread. */
function mainThreadProfile(dir: string): { file: string; summary: ProfileSummary } | undefined {
  if (!existsSync(dir)) return undefined;
  const busy = (s: ProfileSummary) => s.totalMs - (s.byArea.find((a) => a.area === '(idle)')?.selfMs ?? 0);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ file: path.join(dir, f), summary: summarizeProfileFile(path.join(dir, f)) }))
    .sort((a, b) => busy(b.summary) - busy(a.summary))[0];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseOptions(process.argv.slice(2), path.join(here, 'results'));
  const { result, file } = await runBench(opts);
  console.log(formatTable(result));
  for (const [name, p] of Object.entries(result.profiles ?? {})) console.log(`\n${formatProfile(`profile ${name} (${p.file})`, p)}`);
  console.log(`\nwrote ${path.relative(process.cwd(), file)} in ${result.durationSeconds} s`);
}
