// Child processes of the bench (servers, load generator, micro benches): `node [--import tsx] ENTRY`,
// optionally pinned to one CPU with taskset and profiled with --cpu-prof, talking over IPC.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SpawnOptions {
  /** CPU to pin the child to (taskset -c); undefined: not pinned. */
  cpu?: number;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  env?: Record<string, string>;
}

export interface Child {
  readonly pid: number;
  /** The first message the child sent ({ready: true, ...}). */
  readonly ready: Record<string, unknown>;
  request<T>(payload: Record<string, unknown>): Promise<T>;
  /** Asks the child to finish (so --cpu-prof files get written), then kills it if it lingers. */
  stop(): Promise<void>;
}

/** Whether `taskset` can pin to CPUs 0 and 1 here. */
export function tasksetUsable(): boolean {
  const r = spawnSync('taskset', ['-c', '0,1', 'true']);
  return r.status === 0;
}

export function benchEntry(relative: string): string {
  return fileURLToPath(new URL(relative, import.meta.url));
}

export async function spawnChild(entry: string, o: SpawnOptions = {}): Promise<Child> {
  // TypeScript entries run through tsx; plain JavaScript ones (the compiled mcpgw) as the image runs them.
  const nodeArgs = [...(o.nodeFlags ?? []), ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), entry];
  const [cmd, args] = o.cpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', String(o.cpu), process.execPath, ...nodeArgs]];
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, ...o.env } });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code} before it was ready`)));
    child.on('message', (m: Record<string, unknown>) => {
      if (m.ready) return resolve(m);
      const p = pending.get(Number(m.id));
      if (!p) return;
      pending.delete(Number(m.id));
      if (typeof m.error === 'string') p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`${entry} exited`));
  });
  return {
    pid: child.pid ?? -1,
    ready,
    request<T>(payload: Record<string, unknown>): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, ...payload });
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ stop: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
