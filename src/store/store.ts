// Where shared state lives. Feature modules (src/sessions, later limits and revocations) keep their
// own data on top of a store; the interface itself only has to answer, because readiness waits for it.
export interface Store {
  /** Human-readable kind for logs and readiness ("memory", "redis"). */
  readonly kind: string;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** In-process store: one replica only. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
