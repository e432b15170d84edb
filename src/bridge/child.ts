// One stdio server process: spawned in its own process group (so `npx`-style wrappers and their
// children are signalled together), stdout framed into lines, stderr to the log, a bounded stop.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { LineSplitter } from './lines.js';

export interface ChildSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  maxLineBytes: number;
}

export interface ChildEvents {
  stdoutLine(text: string): void;
  stderrLine(text: string): void;
  /** stdout line over the bound: the session cannot trust the stream any more. */
  overflow(bytes: number): void;
  exit(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void;
}

export class StdioChild {
  private readonly proc: ChildProcessWithoutNullStreams;
  private exited = false;
  private readonly exitedPromise: Promise<void>;

  constructor(spec: ChildSpec, events: ChildEvents) {
    this.proc = spawn(spec.command, spec.args, {
      env: spec.env,
      cwd: spec.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out = new LineSplitter(spec.maxLineBytes, { line: events.stdoutLine, overflow: events.overflow });
    // stderr lines are only logged: truncated rather than treated as a fault.
    const err = new LineSplitter(spec.maxLineBytes, { line: events.stderrLine, overflow: (n) => events.stderrLine(`[${n} bytes without a newline dropped]`) });
    this.proc.stdout.on('data', (c: Buffer) => out.push(c));
    this.proc.stdout.on('end', () => out.end());
    this.proc.stderr.on('data', (c: Buffer) => err.push(c));
    this.proc.stderr.on('end', () => err.end());
    // A child that stops reading stdin and exits gives EPIPE here; the exit event reports it.
    this.proc.stdin.on('error', () => undefined);
    this.exitedPromise = new Promise((resolve) => {
      let spawnError: Error | undefined;
      this.proc.once('error', (e) => {
        spawnError = e;
        // A failed spawn emits no 'close'.
        if (this.proc.pid === undefined) finish(null, null);
      });
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exited) return;
        this.exited = true;
        events.exit(code, signal, spawnError);
        resolve();
      };
      this.proc.once('close', finish);
      // 'close' waits for every holder of the pipes: when the server exits and leaves helpers behind
      // that still hold them, those orphans are killed so the session can end.
      this.proc.once('exit', () => this.signal('SIGKILL'));
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Bytes the child has not read yet: the bound on what a client may queue for it. */
  get stdinBacklog(): number {
    return this.proc.stdin.writableLength;
  }

  write(line: string): void {
    if (!this.exited && this.proc.stdin.writable) this.proc.stdin.write(`${line}\n`);
  }

  /** Flow control from the HTTP side: a slow client stops the child's stdout rather than buffering it. */
  pauseOutput(): void {
    this.proc.stdout.pause();
  }

  resumeOutput(): void {
    this.proc.stdout.resume();
  }

  /** Close stdin, SIGTERM the group, SIGKILL after the bound; resolves once the child is reaped. */
  stop(killAfterMs: number): Promise<void> {
    if (this.exited) return this.exitedPromise;
    this.proc.stdin.end();
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), killAfterMs);
    return this.exitedPromise.finally(() => clearTimeout(timer));
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.proc.pid;
    if (pid === undefined || this.exited) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is gone already (or never formed): signal the child itself.
      try { this.proc.kill(sig); } catch { /* already reaped */ }
    }
  }
}
