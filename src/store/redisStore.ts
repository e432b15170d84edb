// The Redis store: owns two ioredis connections (commands, and pub/sub, which Redis dedicates to
// subscriptions) from connect() to close(). Every command goes through run(), the one place where
// driver failures become StoreUnavailableError, so no ioredis error reaches a caller unconverted.
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../telemetry/index.js';
import { StoreUnavailableError } from './errors.js';
import { OutageLog } from './outageLog.js';
import type { Store } from './store.js';

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL; defaults to the MCPGW_REDIS_URL environment variable. */
  url?: string;
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
const loadRedis = (): typeof Redis => (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;

const DEFAULT_KEY_PREFIX = 'mcpgw:';
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;

export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly keyPrefix: string;
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly channels = new Map<string, Set<ChannelListener>>();
  private connected = false;
  private closing = false;
  private readonly outage: OutageLog;
  private everReady = false;

  constructor(private readonly options: RedisStoreOptions) {
    const url = options.url ?? process.env.MCPGW_REDIS_URL;
    if (!url) throw new Error('the redis store needs a URL (store.url or MCPGW_REDIS_URL)');
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Reconnect forever with capped backoff: Redis coming back must heal mcpgw without a restart.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 50),
    };
    const Redis = loadRedis();
    this.client = new Redis(url, {
      ...common,
      // Fail fast while disconnected instead of queueing: callers apply their Redis-down policy.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    });
    // Subscriptions are (re)issued on every 'ready' below, not replayed by ioredis, so a SUBSCRIBE
    // that timed out can never silently drop a channel.
    this.subscriber = new Redis(url, { ...common, enableOfflineQueue: false, autoResubscribe: false });
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

  /** Runs one command (or script, or pipeline) on the command connection. */
  async run<T>(op: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await command(this.client);
    } catch (err) {
      this.options.onError?.(op, err);
      // Before the first connection only the connection's own errors tell (start-up pings fail until then).
      if (this.everReady) this.outage.failed({ op }, err);
      throw new StoreUnavailableError(op, err);
    }
    this.outage.answered();
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
function watchConnection(redis: Redis, role: string, logger: Logger, outage: OutageLog, closing: () => boolean): void {
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
