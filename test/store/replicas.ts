// "mcpgw replicas" for the topology tests: each its own RedisStore (any topology), session registry
// (counting lost bindings), limiter and DPoP replay cache, on one key prefix; and the traffic the
// failover tests run through them.
import { setImmediate } from 'node:timers/promises';
import { MemoryReplayCache } from '../../src/identity/index.js';
import { Limiter, type LimitRequest, type LimitsOptions } from '../../src/limits/index.js';
import { RedisSessionRegistry, type SessionBinding } from '../../src/sessions/index.js';
import { RedisReplayCache, RedisStore, StoreUnavailableError, type RedisStoreOptions } from '../../src/store/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { eventually } from '../sessions/redisHarness.js';

export const silent = createLogger('silent');
/** Shorter than the replicas' command timeout: once a master has no replica left, each WAIT runs out. */
export const WAIT = { waitReplicas: 1, waitTimeoutMs: 200 };

export interface Replica {
  store: RedisStore;
  registry: RedisSessionRegistry;
  limiter: Limiter;
  replay: RedisReplayCache;
  /** Bindings this replica counted as lost by a failover. */
  lost: number;
  close(): Promise<void>;
}

let prefixes = 0;

/** Two replicas on the store `connect` names, once each answers. */
export async function startReplicas(connect: Omit<RedisStoreOptions, 'logger' | 'keyPrefix'>, limits: LimitsOptions): Promise<[Replica, Replica]> {
  const keyPrefix = `r${process.pid}-${++prefixes}:`;
  const made = await Promise.all(
    [0, 1].map(async () => {
      const store = new RedisStore({ ...connect, keyPrefix, logger: silent, commandTimeoutMs: 1000 });
      const r: Replica = {
        store,
        registry: new RedisSessionRegistry(store, { ttlMs: 600_000, cache: { max: 100_000, ttlMs: 600_000 }, logger: silent, onLost: (n) => (r.lost += n) }),
        limiter: new Limiter(limits, { store, logger: silent }),
        replay: new RedisReplayCache(store, new MemoryReplayCache()),
        lost: 0,
        close: async () => {
          r.registry.stop();
          r.limiter.stop();
          await store.close();
        },
      };
      store.connect();
      r.registry.start();
      await eventually(() => store.ping(), 20_000);
      return r;
    }),
  );
  return made as [Replica, Replica];
}

export interface Load {
  /** Bindings whose put was acknowledged. */
  acked: SessionBinding[];
  /** Cached sessions answered with another pod (must stay empty). */
  wrongPod: string[];
  /** Failures other than StoreUnavailableError (must stay empty). */
  unexpected: unknown[];
  /** Operations refused with StoreUnavailableError (the whenUnavailable path). */
  refused: number;
  admitted: number;
  stop(): Promise<void>;
}

/**
 * Traffic from both replicas until stop(): new sessions, follow-ups of cached sessions and limit
 * checks, each loop yielding between steps.
 */
export function startLoad(replicas: readonly Replica[], o: { cached: SessionBinding[]; newBinding: (i: number) => SessionBinding; limitCall: (i: number) => LimitRequest }): Load {
  let running = true;
  const load: Load = { acked: [], wrongPod: [], unexpected: [], refused: 0, admitted: 0, stop: async () => {} };
  const on = (i: number) => replicas[i % replicas.length]!;
  const loop = async (step: (i: number) => Promise<void>) => {
    for (let i = 0; running; i++) {
      try {
        await step(i);
      } catch (err) {
        if (err instanceof StoreUnavailableError) load.refused++;
        else load.unexpected.push(err);
      }
      await setImmediate();
    }
  };
  const loops = Promise.all([
    loop(async (i) => {
      const x = o.newBinding(i);
      await on(i).registry.put(x);
      load.acked.push(x);
    }),
    loop(async (i) => {
      const x = o.cached[i % o.cached.length]!;
      const got = await on(i).registry.get(x.server, x.id);
      if (got?.pod !== x.pod) load.wrongPod.push(`${x.id}: ${got?.pod}`);
    }),
    loop(async (i) => {
      if ((await on(i).limiter.check(o.limitCall(i))).allowed) load.admitted++;
    }),
  ]);
  load.stop = async () => {
    running = false;
    await loops;
  };
  return load;
}
