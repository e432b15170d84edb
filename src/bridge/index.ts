// `mcpgw bridge`: any stdio MCP server as a Streamable HTTP pod, one child process per session.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LevelWithSilent } from 'pino';
import { createLogger, type Logger } from '../telemetry/index.js';
import { bridgeHandler } from './http.js';
import { BridgeMetrics } from './metrics.js';
import { childEnv, parseBridgeArgs, type BridgeOptions } from './options.js';
import { SessionTable } from './table.js';

export { BRIDGE_USAGE, parseBridgeArgs, childEnv, type BridgeOptions } from './options.js';
export type { ExitReason } from './metrics.js';

export interface RunningBridge {
  port: number;
  /** Stop accepting, let requests in flight finish for the grace period, end every child, close. */
  close(): Promise<void>;
}

export async function startBridge(options: BridgeOptions, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<RunningBridge> {
  const metrics = new BridgeMetrics();
  const table = new SessionTable(
    { command: options.command, args: options.args, env: childEnv(env, options.passEnv), maxLineBytes: options.maxLineBytes },
    {
      requestTimeoutMs: options.requestTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      killAfterMs: options.killAfterMs,
      maxQueued: options.maxQueued,
      // The queue may hold a couple of the largest messages a child can write.
      maxQueuedBytes: 2 * options.maxLineBytes,
      maxInFlight: options.maxInFlight,
    },
    options.maxSessions,
    metrics,
    logger,
    options.shared,
  );
  const handler = bridgeHandler(
    table,
    metrics,
    { path: options.path, maxBodyBytes: options.maxBodyBytes, maxStdinBacklog: options.maxLineBytes, retryAfterSeconds: options.retryAfterSeconds, legacySse: options.legacySse },
    logger,
  );
  const server = http.createServer(handler);
  // SSE streams live as long as the session: no socket timeout cuts them.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, path: options.path, command: options.command, maxSessions: options.maxSessions, shared: options.shared, legacySse: options.legacySse }, 'bridge listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= (async () => {
        // New connections are refused at once; requests on open ones see "draining" (503).
        const closed = new Promise<void>((r) => server.close(() => r()));
        await table.drain(options.graceMs);
        server.closeAllConnections();
        await closed;
        logger.info('bridge stopped');
      })()),
  };
}

/** The CLI entry: parse, run until SIGTERM / SIGINT, drain; resolves with the exit code. */
export async function runBridgeCommand(argv: string[], usage: string): Promise<number> {
  const parsed = parseBridgeArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`mcpgw: ${parsed.message}\n${usage}`);
    return 2;
  }
  const logger = createLogger(parsed.options.logLevel as LevelWithSilent);
  let bridge: RunningBridge;
  try {
    bridge = await startBridge(parsed.options, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'bridge could not start');
    await new Promise<void>((r) => logger.flush(() => r()));
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal, graceMs: parsed.options.graceMs }, 'signal received; draining');
      void bridge.close().then(() => logger.flush(() => resolve(0)));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
