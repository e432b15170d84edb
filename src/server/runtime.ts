// What one configuration version decides with: the core Gateway and the parts built from servers,
// identity, limits and upstream credentials. A live change builds the next runtime beside the
// running one, reusing what did not change (the authenticator and its JWKS caches; limit counters,
// which outlive every version), and the service swaps the two in one assignment.
import type { GatewayConfig } from '../config/index.js';
import { Gateway, type SessionPinning } from '../core/index.js';
import { Authenticator, MemoryReplayCache } from '../identity/index.js';
import { Limiter, type LimitMetrics } from '../limits/index.js';
import { RedisReplayCache, RedisStore, type MemoryStore } from '../store/index.js';
import type { Logger, SecretsGuard } from '../telemetry/index.js';
import { InjectedCredentials } from './credentials.js';

export interface Runtime {
  config: GatewayConfig;
  version: string;
  gateway: Gateway;
  credentials: InjectedCredentials;
  authenticator?: Authenticator;
  limiter?: Limiter;
}

export interface RuntimeDeps {
  store: MemoryStore | RedisStore;
  pinning: SessionPinning;
  logger: Logger;
  now: () => number;
  limitMetrics: LimitMetrics;
  secrets?: SecretsGuard;
  fetch?: typeof fetch;
}

export class Runtimes {
  /** The first limiter: its counters (and sweep timer) serve every later version's limiter. */
  private counters?: Limiter;

  constructor(private readonly deps: RuntimeDeps) {}

  /** Builds (and starts) the parts of `config`; rejects when one cannot start, leaving nothing running. */
  async build(config: GatewayConfig, version: string, previous?: Runtime): Promise<Runtime> {
    const { deps } = this;
    const reuseIdentity = previous?.authenticator && JSON.stringify(previous.config.identity) === JSON.stringify(config.identity);
    let authenticator = reuseIdentity ? previous.authenticator : undefined;
    // Identity is only built when a server authenticates: no JWKS fetches or caches otherwise.
    if (!authenticator && config.servers.some((s) => s.auth)) {
      const local = new MemoryReplayCache({ now: deps.now });
      authenticator = new Authenticator(config.identity, {
        logger: deps.logger,
        now: deps.now,
        replayCache: deps.store instanceof RedisStore ? new RedisReplayCache(deps.store, local) : local,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      });
      await authenticator.start();
    }
    const credentials = new InjectedCredentials(config.servers, deps.logger);
    await credentials.start();
    for (const secret of credentials.secrets()) if (secret.length >= 8) deps.secrets?.register(secret);
    let limiter: Limiter | undefined;
    if (config.limits.length) {
      const c = config;
      const opts = { limits: c.limits, replicas: c.limiting.replicas, headers: c.limiting.headers, sessionTtlSeconds: c.sessions.ttlSeconds, memoryCounters: c.limiting.memoryCounters, ...(c.limiting.anomaly ? { anomaly: c.limiting.anomaly } : {}) };
      if (this.counters) {
        limiter = this.counters.reconfigured(opts);
      } else {
        limiter = this.counters = new Limiter(opts, { store: deps.store, logger: deps.logger, metrics: deps.limitMetrics });
        limiter.start();
      }
    }
    const gateway = new Gateway(config, {
      pinning: deps.pinning,
      now: deps.now,
      credentials,
      ...(authenticator ? { authenticator } : {}),
      ...(limiter ? { limiter } : {}),
    });
    return { config, version, gateway, credentials, ...(authenticator ? { authenticator } : {}), ...(limiter ? { limiter } : {}) };
  }

  /** Stops what `old` had and `next` does not share, once `next` serves. */
  async retire(old: Runtime, next: Runtime): Promise<void> {
    old.credentials.stop();
    if (old.authenticator && old.authenticator !== next.authenticator) await old.authenticator.stop();
  }

  async stop(current: Runtime | undefined): Promise<void> {
    current?.credentials.stop();
    await current?.authenticator?.stop();
    this.counters?.stop();
  }
}
