// How an unreachable Redis shows in the log: a warning on the first failure, then at most one a
// minute while it stays away (with how many failures were not logged), and one info line when it
// answers again. Commands and both connections report here, so an outage is one story, not a line
// per request or per reconnect attempt.
import type { Logger } from '../telemetry/index.js';

export const OUTAGE_LOG_INTERVAL_MS = 60_000;

export class OutageLog {
  private down = false;
  private downSinceMs = 0;
  private lastWarnMs = 0;
  /** Failures since the last warning. */
  private unlogged = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A command or connection failed. */
  failed(fields: { op?: string; role?: string }, err: unknown): void {
    const t = this.now();
    const message = err instanceof Error ? err.message : String(err);
    if (this.down && t - this.lastWarnMs < OUTAGE_LOG_INTERVAL_MS) {
      this.unlogged++;
      this.logger.debug({ ...fields, err: message }, 'redis still unreachable');
      return;
    }
    this.logger.warn({ ...fields, err: message, ...(this.down ? { failuresSinceLastWarning: this.unlogged } : {}) }, this.down ? 'redis still unreachable' : 'redis unreachable');
    if (!this.down) this.downSinceMs = t;
    this.down = true;
    this.lastWarnMs = t;
    this.unlogged = 0;
  }

  /** A command succeeded or the command connection is ready: the outage, if any, is over. */
  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.info({ outageSeconds: Math.round((this.now() - this.downSinceMs) / 1000) }, 'redis reachable again');
  }
}
