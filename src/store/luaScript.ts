// A Lua script run by its SHA (EVALSHA) so the request path sends a few bytes, falling back to
// EVAL once when Redis has forgotten it (after a restart, SCRIPT FLUSH, or on a Cluster node that
// never ran it, e.g. a replica promoted by a failover).
import { createHash } from 'node:crypto';
import type { RedisClient } from './redisStore.js';

export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs the script, then WAIT for `replicas` replicas (at most timeoutMs) on the same connection,
   * hence the same node on Cluster (a pipeline goes to the node of its keys). Returns the script's
   * reply and how many replicas acknowledged it.
   */
  async runAndWait(redis: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[], replicas: number, timeoutMs: number): Promise<{ reply: unknown; replicas: number }> {
    const attempt = async (script: 'evalsha' | 'eval') => {
      const p = redis.pipeline();
      if (script === 'evalsha') p.evalsha(this.sha, keys.length, ...keys, ...args);
      else p.eval(this.source, keys.length, ...keys, ...args);
      p.call('WAIT', replicas, timeoutMs);
      const [[scriptErr, reply] = [], [waitErr, acked] = []] = (await p.exec()) ?? [];
      if (scriptErr) throw scriptErr;
      if (waitErr) throw waitErr;
      return { reply, replicas: Number(acked) };
    };
    try {
      return await attempt('evalsha');
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return attempt('eval');
    }
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
