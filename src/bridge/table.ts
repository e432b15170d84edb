// The live sessions of this pod, the cap on them, and draining at shutdown.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChildSpec } from './child.js';
import type { BridgeMetrics } from './metrics.js';
import { Session, type ClientSession, type SessionLimits } from './session.js';
import { SharedChild } from './shared.js';

export type Admission = { ok: true; session: ClientSession } | { ok: false; reason: 'at_capacity' | 'draining' };

export class SessionTable {
  private readonly sessions = new Map<string, ClientSession>();
  private draining = false;
  /** Shared mode's one child (else the child of 2026-07-28 requests); a new one starts after it exited. */
  private shared: SharedChild | undefined;

  constructor(
    private readonly spec: ChildSpec,
    private readonly limits: SessionLimits,
    private readonly maxSessions: number,
    private readonly metrics: BridgeMetrics,
    private readonly logger: Logger,
    /** One child for every session (stateless servers); the session cap does not apply. */
    private readonly sharedMode = false,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Why this pod should get no new sessions now; empty when it can take one. */
  notReadyReasons(): string[] {
    const reasons: string[] = [];
    if (this.draining) reasons.push('shutting down');
    if (!this.sharedMode && this.sessions.size >= this.maxSessions) reasons.push(`at the cap of ${this.maxSessions} live sessions`);
    return reasons;
  }

  open(): Admission {
    if (this.draining) return { ok: false, reason: 'draining' };
    let session: ClientSession;
    if (this.sharedMode) {
      session = this.sharedChild().open(randomUUID());
    } else {
      if (this.sessions.size >= this.maxSessions) return { ok: false, reason: 'at_capacity' };
      session = new Session(randomUUID(), this.spec, this.limits, this.metrics, this.logger);
    }
    this.sessions.set(session.id, session);
    // The child's exit ends the session whatever caused it; the next request for it gets 404.
    void session.ended.then(() => this.sessions.delete(session.id));
    return { ok: true, session };
  }

  /**
   * The child 2026-07-28 requests go to. That revision has no session, so there is nothing to give a
   * child of its own: the shared child in `--shared` mode, else one child kept for those requests
   * (not counted against the session cap).
   */
  modern(): { ok: true; child: SharedChild } | { ok: false; reason: 'draining' } {
    return this.draining ? { ok: false, reason: 'draining' } : { ok: true, child: this.sharedChild() };
  }

  private sharedChild(): SharedChild {
    if (!this.shared?.core.live) this.shared = new SharedChild(this.spec, this.limits, this.metrics, this.logger);
    return this.shared;
  }

  /** Only a session whose child still runs: an ended one is as gone as one never made. */
  get(id: string): ClientSession | undefined {
    const s = this.sessions.get(id);
    return s?.live ? s : undefined;
  }

  /**
   * Stop admitting, give requests in flight up to `graceMs` to finish, then end every session
   * (stdin closed, SIGTERM, SIGKILL after the kill bound) and wait until every child is reaped.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && (this.shared?.core.busy || [...this.sessions.values()].some((s) => s.busy))) {
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
    const why = 'the bridge is shutting down';
    await Promise.all([this.shared?.core.end('shutdown', why), ...[...this.sessions.values()].map((s) => s.end('shutdown', why))]);
  }
}
