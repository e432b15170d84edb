// Idle memory of `mcpgw serve` (issue 15): the compiled build (bench/build.ts), started with a typical
// config (examples/gateway.yaml, loopback ports) and the image's V8 flags, and measured after it
// settles: resident memory, and the heap after full GCs.
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { compiledTree } from './build.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The V8 flags the image runs mcpgw with (the Dockerfile's `ENV NODE_OPTIONS`), so the bench measures what ships. */
export function imageNodeFlags(): string[] {
  const line = /^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
  return line ? line[1]!.trim().split(/\s+/) : [];
}

export interface IdleMemory {
  /** 2 s after start, before V8 gives the young generation back. */
  rssAtStart: number;
  /** Once settled (idle.mjs). */
  rss: number;
  /** When it settled, ms after start. */
  settledMs: number;
  heapUsed: number;
  rssAfterGc: number;
  heapAfterGc: number;
}

/** `settleCapMs`: how long to wait at most for V8 to give the young generation back (0: report at 2 s). */
export async function idleMemory(cpu: number | undefined, settleCapMs: number): Promise<IdleMemory> {
  const out = compiledTree();
  const config = parse(readFileSync(path.join(root, 'examples/gateway.yaml'), 'utf8')) as { listen: Record<string, string> };
  config.listen = { grpc: '127.0.0.1:0', http: '127.0.0.1:0' };
  const configFile = path.join(out, 'gateway.yaml');
  writeFileSync(configFile, stringify(config));
  const entry = fileURLToPath(new URL('./proc/idle.mjs', import.meta.url));
  const args = [path.join(out, 'src/cli/main.js'), configFile, String(settleCapMs)];
  const child =
    cpu === undefined
      ? fork(entry, args, { execArgv: ['--expose-gc', ...imageNodeFlags()], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
      : fork(entry, args, { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath, '--expose-gc', ...imageNodeFlags()], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    return await new Promise<IdleMemory>((resolve, reject) => {
      child.once('message', (m) => resolve(m as IdleMemory));
      child.once('exit', (code) => reject(new Error(`idle mcpgw exited with ${code} before reporting`)));
    });
  } finally {
    child.kill('SIGKILL');
  }
}
