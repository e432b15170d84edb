// The Redis store: owns two ioredis connections (commands, and pub/sub, which Redis dedicates to
// subscriptions) from connect() to close(). Every command goes through run(), the one place where
// driver failures become StoreUnavailableError, so no ioredis error reaches a caller unconverted.
// Three topologies behind the same face: one Redis (url), Sentinel (ioredis asks the Sentinels for
// the master and follows failovers) and Cluster (ioredis Cluster follows MOVED / ASK and failovers).
import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../telemetry/index.js';
import { StoreUnavailableError } from './errors.js';
import { OutageLog } from './outageLog.js';
import type { Store } from './store.js';

/** A command connection of any topology: both answer the same commands (Cluster routes by key). */
export type RedisClient = Redis | Cluster;

export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

export interface ReplicationWait {
  waitReplicas: number;
  waitTimeoutMs: number;
}

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL of a standalone Redis; defaults to the MCPGW_REDIS_URL environment variable. */
  url?: string;
  /** Sentinels ("host:port") and the master name they monitor. */
  sentinel?: { addresses: readonly string[]; masterName: string; tls?: boolean };
  /** Cluster seed nodes ("host:port"); slotGroups: hash slots session bindings spread over (default 16). */
  cluster?: { nodes: readonly string[]; slotGroups?: number; tls?: boolean };
  /** Sentinel and Cluster: the password (default: MCPGW_REDIS_PASSWORD). */
  password?: string;
  /** WAIT after binding writes until this many replicas have them (0: no WAIT). */
  bindingWrites?: ReplicationWait;
  /** WAIT after limit counter updates until this many replicas have them (0: no WAIT). */
  limitWrites?: ReplicationWait;
  /** Namespace for every key and channel, so several deployments can share one Redis. Default "mcpgw:". */
  keyPrefix?: string;
  /** A command without a reply within this time fails (StoreUnavailableError). Default 500. */
  commandTimeoutMs?: number;
  logger: Logger;
  /** Called once per failed command, e.g. to count store errors in a metric. */
  onError?: (op: string, err: unknown) => void;
  /** Clock of the outage log (at most one warning a minute); tests move it. */
  now?: () => number;
}

/** Receives pub/sub messages of one channel. */
export interface ChannelListener {
  message(payload: string): void;
  /**
   * The subscription was (re)established. Messages published while it was down are lost, so state
   * kept in sync by this channel must be rebuilt.
   */
  resync(): void;
}

/**
 * ioredis (CommonJS) is required when a RedisStore is built, not imported with this module: a memory
 * store never loads it (~20 MB of resident memory; docs/performance.md, Memory).
 */
const loadIoredis = (): typeof import('ioredis') => createRequire(import.meta.url)('ioredis') as typeof import('ioredis');

const DEFAULT_KEY_PREFIX = 'mcpgw:';
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;
const DEFAULT_SLOT_GROUPS = 16;
const NO_WAIT: ReplicationWait = { waitReplicas: 0, waitTimeoutMs: 100 };

function backoff(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 50);
}

function parseHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(i + 1)) };
}

function password(options: RedisStoreOptions): { password?: string } {
  const p = options.password ?? process.env.MCPGW_REDIS_PASSWORD;
  return p ? { password: p } : {};
}

function clusterOptions(node: RedisOptions): ClusterOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: backoff,
    // MOVED / ASK / TRYAGAIN are followed by ioredis; while a failover elects a new master, commands
    // to its slots retry a few times and then fail (the caller's whenUnavailable policy applies).
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    slotsRefreshTimeout: 1000,
    redisOptions: node,
  };
}

export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly keyPrefix: string;
  readonly topology: RedisTopology;
  /**
   * Hash slots that session bindings spread over: 1 unless Cluster. Keys of one group share a hash
   * tag (tag()), so a script over them runs on one node.
   */
  readonly slotGroups: number;
  readonly bindingWrites: ReplicationWait;
  readonly limitWrites: ReplicationWait;
  private readonly client: RedisClient;
  private readonly subscriber: RedisClient;
  private readonly channels = new Map<string, Set<ChannelListener>>();
  private connected = false;
  private closing = false;
  private readonly outage: OutageLog;
  private everReady = false;
  /** ms epoch of the first failure since the last success, or 0. */
  private failingSinceMs = 0;
  private readonly recoveredListeners = new Set<(failingSinceMs: number) => void>();

  constructor(private readonly options: RedisStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.topology = options.cluster ? 'cluster' : options.sentinel ? 'sentinel' : 'standalone';
    this.slotGroups = options.cluster ? (options.cluster.slotGroups ?? DEFAULT_SLOT_GROUPS) : 1;
    this.bindingWrites = options.bindingWrites ?? NO_WAIT;
    this.limitWrites = options.limitWrites ?? NO_WAIT;
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Reconnect forever with capped backoff: Redis coming back must heal mcpgw without a restart.
      retryStrategy: backoff,
    };
    const { Redis, Cluster } = loadIoredis();
    // Fail fast while disconnected instead of queueing: callers apply their Redis-down policy.
    const commands: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS };
    // Subscriptions are (re)issued on every 'ready' below, not replayed by ioredis, so a SUBSCRIBE
    // that timed out can never silently drop a channel.
    const pubsub: RedisOptions = { enableOfflineQueue: false, autoResubscribe: false };
    if (options.cluster) {
      // Node connections queue while they connect (a MOVED can point at a node not connected yet);
      // the cluster itself fails fast while it has no slot map, and commandTimeout bounds both.
      const node: RedisOptions = { connectTimeout: CONNECT_TIMEOUT_MS, commandTimeout: commands.commandTimeout, ...password(options), ...(options.cluster.tls ? { tls: {} } : {}) };
      const seeds = options.cluster.nodes.map(parseHostPort);
      this.client = new Cluster(seeds, clusterOptions(node));
      // The cluster's subscriber moves to another node by itself when its node fails (re-subscribing).
      this.subscriber = new Cluster(seeds, clusterOptions({ connectTimeout: CONNECT_TIMEOUT_MS, ...password(options), ...(options.cluster.tls ? { tls: {} } : {}) }));
    } else if (options.sentinel) {
      const s = options.sentinel;
      const sentinel: RedisOptions = {
        sentinels: s.addresses.map(parseHostPort),
        name: s.masterName,
        // Sentinels announce a new master on +switch-master: reconnect at once instead of at the next error.
        failoverDetector: true,
        sentinelRetryStrategy: backoff,
        ...(s.tls ? { enableTLSForSentinelMode: true, tls: {} } : {}),
        ...password(options),
      };
      this.client = new Redis({ ...common, ...sentinel, ...commands });
      this.subscriber = new Redis({ ...common, ...sentinel, ...pubsub });
    } else {
      const url = options.url ?? process.env.MCPGW_REDIS_URL;
      if (!url) throw new Error('the redis store needs a URL (store.url or MCPGW_REDIS_URL)');
      this.client = new Redis(url, { ...common, ...commands });
      this.subscriber = new Redis(url, { ...common, ...pubsub });
    }
    this.subscriber.on('message', (channel: string, payload: string) => {
      for (const l of this.channels.get(channel) ?? []) l.message(payload);
    });
    this.subscriber.on('ready', () => {
      for (const [channel, listeners] of this.channels) this.resubscribe(channel, listeners);
    });
    const closing = () => this.closing;
    this.outage = new OutageLog(options.logger, options.now);
    this.client.once('ready', () => (this.everReady = true));
    watchConnection(this.client, 'commands', options.logger, this.outage, closing);
    watchConnection(this.subscriber, 'pubsub', options.logger, this.outage, closing);
  }

  /** Starts connecting both connections (and keeps reconnecting); does not wait for Redis. */
  connect(): void {
    if (this.connected) return;
    this.connected = true;
    // Failures surface as 'error' events (handled in watchConnection) and retries, not here.
    this.client.connect().catch(() => {});
    this.subscriber.connect().catch(() => {});
  }

  /**
   * A hash tag for keys: on Cluster `{tag}` puts every key holding it in one slot; other topologies
   * get "" and keep today's untagged keys, so upgrading does not move data.
   */
  slotTag(tag: string): string {
    return this.topology === 'cluster' ? `{${tag}}` : '';
  }

  /**
   * Listens for the store answering again after failed commands (a failover, a restart): writes
   * acknowledged shortly before may have been lost. Returns the unsubscribe.
   */
  onRecovered(listener: (failingSinceMs: number) => void): () => void {
    this.recoveredListeners.add(listener);
    return () => this.recoveredListeners.delete(listener);
  }

  /** Runs one command (or script, or pipeline) on the command connection. */
  async run<T>(op: string, command: (redis: RedisClient) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await command(this.client);
    } catch (err) {
      this.options.onError?.(op, err);
      // Before the first connection only the connection's own errors tell (start-up pings fail until then).
      if (this.everReady) {
        this.outage.failed({ op }, err);
        this.failingSinceMs ||= Date.now();
      }
      throw new StoreUnavailableError(op, err);
    }
    this.outage.answered();
    if (this.failingSinceMs) this.recovered();
    return result;
  }

  async ping(): Promise<void> {
    await this.run('ping', (r) => r.ping());
  }

  /** Subscribes now if connected, and again after every reconnection. Returns the unsubscribe. */
  subscribe(channel: string, listener: ChannelListener): () => void {
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    listeners.add(listener);
    if (this.subscriber.status === 'ready' && listeners.size === 1) this.resubscribe(channel, listeners);
    else if (this.subscriber.status === 'ready') listener.resync();
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0) return;
      this.channels.delete(channel);
      if (this.subscriber.status === 'ready') this.subscriber.unsubscribe(channel).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    // quit() lets in-flight replies arrive; disconnect() then stops reconnecting in every state.
    await Promise.allSettled([this.client.quit(), this.subscriber.quit()]);
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private recovered(): void {
    const since = this.failingSinceMs;
    this.failingSinceMs = 0;
    for (const l of this.recoveredListeners) l(since);
    // A Cluster's subscriber moves to another node on its own and does not say so: messages may
    // have been lost meanwhile, so state kept by channels is rebuilt after every outage.
    if (this.topology === 'cluster') for (const listeners of this.channels.values()) for (const l of listeners) l.resync();
  }

  private resubscribe(channel: string, listeners: Set<ChannelListener>): void {
    this.subscriber.subscribe(channel).then(
      () => {
        for (const l of listeners) l.resync();
      },
      // A failure here means the connection dropped; the next 'ready' subscribes again.
      (err: unknown) => this.options.logger.warn({ err, channel }, 'redis subscribe failed; retrying on reconnect'),
    );
  }
}

/**
 * Reports a connection's failures to the outage log (which decides what reaches the log) and handles
 * its 'error' events, which would otherwise crash the process. Only the command connection being
 * ready ends an outage: the subscriber alone is not what requests wait for.
 */
function watchConnection(redis: RedisClient, role: string, logger: Logger, outage: OutageLog, closing: () => boolean): void {
  let up = false;
  let everUp = false;
  redis.on('ready', () => {
    if (role === 'commands') outage.answered();
    if (!everUp) logger.info({ role }, 'redis connected');
    up = everUp = true;
  });
  redis.on('error', (err: Error) => {
    outage.failed({ role }, err);
    up = false;
  });
  redis.on('close', () => {
    if (up && !closing()) outage.failed({ role }, 'connection closed; reconnecting');
    up = false;
  });
}
