// Continuous load of stateful SDK sessions for the convergence suite: each worker keeps one session
// busy with whoami calls, spreading its requests over every proxy (gateway replica) in turn, and does
// what an MCP application does on errors: 404 → a new session, 503 → retry shortly. Everything a
// client sees is recorded, so the suite can check it against what the mesh did.
import { connectClient } from '../fixtures/index.js';
import { podOf } from './pinning.js';
import { until } from './mesh.js';

type Client = Awaited<ReturnType<typeof connectClient>>;

export interface LoadSession {
  id: string;
  pod: string;
  /** Whether a removed pod had already left mcpgw's view when its initialize was sent. */
  startedAt: number;
  calls: number;
  /** 503s this session's calls got (Envoy could not deliver, or a misroute was caught). */
  unavailable: number;
  /** When the session got its 404, if it did, and what the 404 said. */
  lostAt?: number;
  lostWith?: string;
}

/** Error shape of SDK 1.x transport failures: the HTTP status as `code`. */
const statusOf = (err: unknown) => (err as { code?: number }).code;

export class SessionLoad {
  readonly sessions: LoadSession[] = [];
  /** session id → creating pod. */
  readonly owner = new Map<string, string>();
  readonly failures: string[] = [];
  /** Sessions that got their 404 before their first whoami named the pod: id and when. */
  readonly lostUnnamed: Array<{ id: string; at: number }> = [];
  private stopped = false;
  private running: Promise<void>[] = [];
  okCalls = 0;
  /** Workers that hold a live session right now. */
  private readonly holding = new Set<number>();

  constructor(private readonly urls: () => string[]) {}

  /**
   * Starts `n` workers one after the other, each once the previous one has its session, so placement
   * sees every earlier session (fewest live sessions first). Worker i starts on proxy i mod proxies.
   */
  async start(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.running.push(this.worker(i));
      await until(() => this.sessions.length > i || this.failures.length > 0, `worker ${i} has a session`);
    }
  }

  /** Waits for `calls` more successful calls (the load makes progress between mesh changes). */
  async progress(calls: number, what: string): Promise<void> {
    const target = this.okCalls + calls;
    await until(() => this.okCalls >= target || this.failures.length > 0, what, 60_000);
    if (this.failures.length) throw new Error(`load failed: ${this.failures.join('; ')}`);
  }

  /** Waits until every worker holds a live session again (after losses, initialize may wait for a pod). */
  async untilAllHoldSessions(what: string): Promise<void> {
    await until(() => this.holding.size === this.running.length || this.failures.length > 0, what, 60_000);
    if (this.failures.length) throw new Error(`load failed: ${this.failures.join('; ')}`);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private spreadFetch(first: number): typeof fetch {
    let i = first;
    return (input, init) => {
      const urls = this.urls();
      const target = new URL(urls[i++ % urls.length] as string);
      const url = new URL(input instanceof Request ? input.url : String(input));
      url.host = target.host;
      return fetch(url, init);
    };
  }

  private async worker(index: number): Promise<void> {
    let client: Client | undefined;
    let session: LoadSession | undefined;
    const drop = async () => {
      this.holding.delete(index);
      await client?.client.close().catch(() => undefined);
      client = undefined;
      session = undefined;
    };
    while (!this.stopped && this.failures.length === 0) {
      try {
        if (!client || !session) {
          const startedAt = performance.now();
          client = await connectClient(this.urls()[0] as string, { fetch: this.spreadFetch(index) });
          const first = await podOf(client.client);
          session = { id: first.session, pod: first.pod, startedAt, calls: 1, unavailable: 0 };
          this.owner.set(session.id, session.pod);
          this.sessions.push(session);
          this.holding.add(index);
          this.okCalls++;
          continue;
        }
        const r = await podOf(client.client);
        if (r.pod !== session.pod || r.session !== session.id) this.failures.push(`session ${session.id} of ${session.pod} answered by ${r.pod}`);
        session.calls++;
        this.okCalls++;
      } catch (err) {
        const status = statusOf(err);
        if (status === 404 && session) {
          session.lostAt = performance.now();
          session.lostWith = (err as Error).message;
          await drop();
        } else if (status === 404 && client?.transport.sessionId) {
          this.lostUnnamed.push({ id: client.transport.sessionId, at: performance.now() });
          await drop();
        } else if (status === 503) {
          if (session) session.unavailable++;
          else await drop();
          // A retry loop, as an application would run one; the suite waits on conditions, not on this.
          await new Promise((r) => setTimeout(r, 50));
        } else {
          this.failures.push(`worker ${index}: ${session ? `session ${session.id} of ${session.pod}` : 'initialize'}: ${(err as Error).message}`);
        }
      }
    }
    await drop();
  }
}
