// The one error a store raises when it cannot answer, so callers choose their failure policy
// (fail-closed 503 or fail-open) on a type instead of parsing driver messages.

/** The store did not answer (unreachable, timed out, or replied with an error). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(
    /** What was attempted ("sessions.get", "ping"), for logs and metrics. */
    readonly op: string,
    cause: unknown,
  ) {
    super(`store unavailable during ${op}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
