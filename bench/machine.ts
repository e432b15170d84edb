// The header of every result: what machine, what code.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  date: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  gitCommit: string;
  gitDirty: boolean;
  taskset: boolean;
  /** Who runs where, e.g. "servers on CPU 1, load generator on CPU 0". */
  placement: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo(taskset: boolean): MachineInfo {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    // BENCH_GIT_COMMIT: for a tree exported with `git archive` (no .git), name the commit it came from.
    gitCommit: process.env.BENCH_GIT_COMMIT || git(['rev-parse', 'HEAD']) || 'unknown',
    gitDirty: process.env.BENCH_GIT_COMMIT ? false : git(['status', '--porcelain']) !== '',
    taskset,
    placement: taskset ? 'each server alone on CPU 1 (taskset), the load generator on CPU 0' : 'not pinned',
  };
}
