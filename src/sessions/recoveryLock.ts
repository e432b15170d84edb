// One recovery per session at a time, across replicas: whoever takes the lock replays the handshake,
// the others wait for the binding it writes. The lock expires on its own if its holder dies.
import type { RecoveryLock } from '../core/index.js';
import { RedisStore, type Store } from '../store/index.js';

export type { RecoveryLock } from '../core/index.js';

/** Single replica: the in-process map of pending recoveries already joins concurrent requests. */
class LocalRecoveryLock implements RecoveryLock {
  private readonly held = new Set<string>();
  async tryAcquire(key: string): Promise<boolean> {
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }
  async release(key: string): Promise<void> {
    this.held.delete(key);
  }
}

class RedisRecoveryLock implements RecoveryLock {
  constructor(private readonly store: RedisStore) {}
  async tryAcquire(key: string, ttlMs: number): Promise<boolean> {
    return (await this.store.run('recovery-lock', (r) => r.set(`${this.store.keyPrefix}recovering:${key}`, '1', 'PX', ttlMs, 'NX'))) === 'OK';
  }
  async release(key: string): Promise<void> {
    await this.store.run('recovery-unlock', (r) => r.del(`${this.store.keyPrefix}recovering:${key}`)).catch(() => undefined);
  }
}

export function createRecoveryLock(store: Store): RecoveryLock {
  return store instanceof RedisStore ? new RedisRecoveryLock(store) : new LocalRecoveryLock();
}
