// One MCP session: its own stdio child, the requests waiting for the child's answer, and where the
// child's own requests and notifications go (the POST stream they belong to, else the GET stream,
// else a small bounded queue until a stream opens).
import type { Logger } from 'pino';
import { StdioChild, type ChildSpec } from './child.js';
import { BridgeError, classify, errorMessage, idKey } from './jsonrpc.js';
import type { BridgeMetrics, ExitReason } from './metrics.js';
import type { Reply } from './reply.js';
import type { SseStream } from './sse.js';

export interface SessionLimits {
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  killAfterMs: number;
  /** Server messages held while no stream is open; the oldest are dropped beyond this count or these bytes. */
  maxQueued: number;
  maxQueuedBytes: number;
  /** Requests one session may have waiting for the child at once. */
  maxInFlight: number;
}

/** What the HTTP side needs of a session: a per-session child ({@link Session}) or a view of the shared one. */
export interface ClientSession {
  readonly id: string;
  readonly live: boolean;
  readonly busy: boolean;
  readonly ended: Promise<void>;
  readonly stdinBacklog: number;
  wouldExceedInFlight(n: number): boolean;
  isPending(id: string | number): boolean;
  fromClient(messages: unknown[], reply: Reply | undefined): void;
  addPostStream(reply: Reply): void;
  removePostStream(reply: Reply): void;
  hasGetStream(): boolean;
  openGetStream(stream: SseStream): void;
  getStreamClosed(stream: SseStream): void;
  end(reason: ExitReason, message?: string): Promise<void>;
}

interface Pending {
  reply: Reply;
  timer: NodeJS.Timeout;
  id: string | number;
  progressToken?: string | number;
}

export class Session implements ClientSession {
  private readonly child: StdioChild;
  private readonly pending = new Map<string, Pending>();
  /** Open POST streams, newest last: server messages go to the newest. */
  private readonly streams: Reply[] = [];
  private getStream: SseStream | undefined;
  private queue: string[] = [];
  private queuedBytes = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private paused = 0;
  private endReason: ExitReason | undefined;
  private readonly bytes = { to_child: 0, from_child: 0 };
  private readonly log: Logger;
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;

  constructor(
    readonly id: string,
    spec: ChildSpec,
    private readonly limits: SessionLimits,
    private readonly metrics: BridgeMetrics,
    logger: Logger,
    /** Shared mode: the streams every server message without a request context goes to. */
    private readonly fanOut?: () => SseStream[],
  ) {
    this.log = logger.child({ session: id });
    this.ended = new Promise((r) => (this.resolveEnded = r));
    metrics.spawns.inc();
    metrics.live.inc();
    this.child = new StdioChild(spec, {
      stdoutLine: (line) => this.fromChild(line),
      stderrLine: (line) => this.log.info({ stderr: line }, 'child stderr'),
      overflow: (n) => {
        this.log.error({ bytes: n, maxLineBytes: spec.maxLineBytes }, 'child wrote a stdout line over the bound; ending the session');
        this.metrics.dropped.inc({ reason: 'too_long' });
        this.end('protocol_error');
      },
      exit: (code, signal, spawnError) => this.onExit(code, signal, spawnError),
    });
    this.log.info({ pid: this.child.pid, command: spec.command }, 'child started');
    this.armIdle();
  }

  get live(): boolean {
    return this.endReason === undefined;
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Whether `n` more requests would go over the in-flight bound. */
  wouldExceedInFlight(n: number): boolean {
    return this.pending.size + n > this.limits.maxInFlight;
  }

  /** Key of a request id already waiting (a client may not reuse one until it is answered). */
  isPending(id: string | number): boolean {
    return this.pending.has(idKey(id));
  }

  get stdinBacklog(): number {
    return this.child.stdinBacklog;
  }

  /** Relays the client's messages (already classified as valid) in order; requests answer on `reply`. */
  fromClient(messages: unknown[], reply: Reply | undefined): void {
    for (const m of messages) {
      const c = classify(m);
      if (c?.kind === 'request' && reply) {
        const key = idKey(c.id);
        if (!this.live) {
          reply.answer(key, errorMessage(c.id, BridgeError.childExited, 'The stdio MCP server is not running'), () => undefined);
          continue;
        }
        const timer = setTimeout(() => this.timeout(key), this.limits.requestTimeoutMs);
        const p: Pending = { reply, timer, id: c.id };
        if (c.progressToken !== undefined) p.progressToken = c.progressToken;
        this.pending.set(key, p);
      } else if (c?.kind === 'notification' && c.cancels !== undefined) {
        // The server will not answer a cancelled request: stop holding the client's stream for it.
        this.settle(idKey(c.cancels), (p) => p.reply.forget(idKey(p.id)));
      }
      this.write(JSON.stringify(m));
    }
    this.armIdle();
  }

  private write(line: string): void {
    this.count('to_child', line);
    this.child.write(line);
  }

  addPostStream(reply: Reply): void {
    this.streams.push(reply);
  }

  removePostStream(reply: Reply): void {
    const i = this.streams.indexOf(reply);
    if (i >= 0) this.streams.splice(i, 1);
    this.armIdle();
  }

  hasGetStream(): boolean {
    return this.getStream?.isOpen === true;
  }

  openGetStream(stream: SseStream): void {
    this.getStream = stream;
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const json of queued) this.send(stream, json);
    this.armIdle();
  }

  getStreamClosed(stream: SseStream): void {
    if (this.getStream === stream) this.getStream = undefined;
    this.armIdle();
  }

  end(reason: ExitReason, message = 'session ended'): Promise<void> {
    if (this.endReason !== undefined) return this.ended;
    this.endReason = reason;
    this.failAll(BridgeError.childExited, `MCP session ended (${message})`);
    this.closeStreams();
    void this.child.stop(this.limits.killAfterMs);
    return this.ended;
  }

  private fromChild(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.log.warn({ line: line.slice(0, 200) }, 'child wrote a stdout line that is not JSON; dropped');
      this.metrics.dropped.inc({ reason: 'not_json' });
      return;
    }
    this.count('from_child', line);
    // A single message goes on as the child wrote it (a stray CR would end an SSE line early, so
    // that one is re-serialized); a batch the child sent is split per message.
    if (Array.isArray(parsed)) for (const m of parsed) this.route(m, JSON.stringify(m));
    else this.route(parsed, line.includes('\r') ? JSON.stringify(parsed) : line);
    this.armIdle();
  }

  private route(m: unknown, json: string): void {
    const c = classify(m);
    if (c === undefined) {
      this.log.warn({ line: json.slice(0, 200) }, 'child wrote JSON that is not JSON-RPC; dropped');
      this.metrics.dropped.inc({ reason: 'not_jsonrpc' });
      return;
    }
    if (c.kind === 'response') {
      const key = c.id === null ? undefined : idKey(c.id);
      if (key === undefined || !this.settle(key, (p) => p.reply.answer(key, json, this.resume) || this.pause())) {
        this.log.debug({ id: c.id }, 'response to no waiting request (timed out or cancelled); dropped');
        this.metrics.dropped.inc({ reason: 'unmatched' });
      }
      return;
    }
    // Progress goes with the request that asked for it; everything else to the newest open stream.
    const owner = c.kind === 'notification' && c.progressToken !== undefined ? [...this.pending.values()].find((p) => p.progressToken === c.progressToken) : undefined;
    if (owner?.reply.canCarry) {
      if (!owner.reply.carry(json, this.resume)) this.pause();
      return;
    }
    if (this.fanOut) {
      const streams = this.fanOut();
      for (const s of streams) this.send(s, json);
      if (streams.length > 0) return;
      this.metrics.dropped.inc({ reason: 'no_stream' });
      // A server request nobody can answer would leave the child waiting: it gets an error at once.
      if (c.kind === 'request') this.write(errorMessage(c.id, BridgeError.unavailable, 'No client stream is open to carry this request'));
      return;
    }
    const post = [...this.streams].reverse().find((r) => r.canCarry);
    if (post) {
      if (!post.carry(json, this.resume)) this.pause();
    } else if (this.getStream?.isOpen) {
      this.send(this.getStream, json);
    } else {
      this.queue.push(json);
      this.queuedBytes += json.length;
      while (this.queue.length > this.limits.maxQueued || this.queuedBytes > this.limits.maxQueuedBytes) {
        this.queuedBytes -= this.queue.shift()?.length ?? 0;
        this.metrics.dropped.inc({ reason: 'no_stream' });
        this.log.warn('server message queue full while no stream is open; oldest dropped');
      }
    }
  }

  private count(direction: 'to_child' | 'from_child', line: string): void {
    const n = Buffer.byteLength(line) + 1;
    this.bytes[direction] += n;
    this.metrics.bytes.inc({ direction }, n);
  }

  private send(stream: SseStream, json: string): void {
    if (!stream.send(json, this.resume)) this.pause();
  }

  /** A backed-up client stream stops the child's stdout; it resumes once every stream drained. */
  private pause(): void {
    if (this.paused++ === 0) this.child.pauseOutput();
  }

  private readonly resume = (): void => {
    if (this.paused > 0 && --this.paused === 0) this.child.resumeOutput();
  };

  private settle(key: string, fn: (p: Pending) => void): boolean {
    const p = this.pending.get(key);
    if (!p) return false;
    this.pending.delete(key);
    clearTimeout(p.timer);
    fn(p);
    return true;
  }

  private timeout(key: string): void {
    this.metrics.timeouts.inc();
    this.settle(key, (p) => {
      this.log.warn({ id: p.id, timeoutMs: this.limits.requestTimeoutMs }, 'request timed out waiting for the child');
      p.reply.answer(key, errorMessage(p.id, BridgeError.timeout, `The stdio MCP server did not answer within ${this.limits.requestTimeoutMs} ms`), this.resume);
    });
    this.armIdle();
  }

  /** Answers these waiting requests with an error and stops waiting for the child's answers. */
  abandon(keys: string[], code: number, message: string, data?: unknown): void {
    for (const key of keys) this.settle(key, (p) => p.reply.answer(key, errorMessage(p.id, code, message, data), () => undefined));
  }

  private failAll(code: number, message: string, data?: unknown): void {
    this.abandon([...this.pending.keys()], code, message, data);
  }

  private closeStreams(): void {
    this.getStream?.end();
    this.getStream = undefined;
    this.queue = [];
    this.queuedBytes = 0;
    clearTimeout(this.idleTimer);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    const reason: ExitReason = this.endReason ?? (spawnError ? 'spawn_failed' : 'exited');
    this.endReason = reason;
    const how = spawnError ? `could not start: ${spawnError.message}` : signal ? `killed by ${signal}` : `exited with code ${code}`;
    this.failAll(BridgeError.childExited, `The stdio MCP server ${how}`, { exitCode: code, signal });
    this.closeStreams();
    if (this.paused > 0) this.paused = 0;
    this.metrics.live.dec();
    this.metrics.exits.inc({ reason });
    this.metrics.sessionBytes.observe({ direction: 'to_child' }, this.bytes.to_child);
    this.metrics.sessionBytes.observe({ direction: 'from_child' }, this.bytes.from_child);
    const fields = { reason, exitCode: code, signal, pid: this.child.pid, bytes: this.bytes };
    if (reason === 'exited' || reason === 'spawn_failed') this.log.warn(fields, `child ${how}`);
    else this.log.info(fields, `child ${how}`);
    this.resolveEnded();
  }

  /** Idle = nothing waiting and no stream open; the timer re-arms on every activity. */
  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (!this.live || this.limits.idleTimeoutMs <= 0) return;
    if (this.pending.size > 0 || this.hasGetStream() || this.streams.length > 0) return;
    this.idleTimer = setTimeout(() => {
      this.log.info({ idleTimeoutMs: this.limits.idleTimeoutMs }, 'session idle; ending it');
      void this.end('idle', 'idle timeout');
    }, this.limits.idleTimeoutMs);
    this.idleTimer.unref();
  }
}
