#!/usr/bin/env node
// mcpgw: the command line. `serve` runs the gateway; `check-config` validates a config file; `ctl`
// drives a running one.
import { runBridgeCommand } from '../bridge/index.js';
import { checkedAgainst, configJsonSchema, loadConfigFile } from '../config/index.js';
import { GatewayService } from '../server/index.js';
import { SecretsGuard, createLogger } from '../telemetry/index.js';
import { USAGE, parseCommand } from './args.js';
import { runCtl } from './ctl.js';
import { packageVersion } from './version.js';
import { resolveServeConfig } from './serveConfig.js';
import { followConfigFile } from './reload.js';

async function main(): Promise<number> {
  const command = parseCommand(process.argv.slice(2), process.env);
  switch (command.kind) {
    case 'help':
      process.stdout.write(command.text);
      return 0;
    case 'version':
      process.stdout.write(`mcpgw ${packageVersion()}\n`);
      return 0;
    case 'usage-error':
      process.stderr.write(`mcpgw: ${command.message}\n${USAGE}`);
      return 2;
    case 'schema':
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return 0;
    case 'check-config': {
      const result = checkedAgainst(await loadConfigFile(command.file), process.env);
      process.stdout.write(result.ok ? 'ok\n' : `${result.problems.join('\n')}\n`);
      return result.ok ? 0 : 1;
    }
    case 'serve':
      return serve(command.options);
    case 'bridge':
      return runBridgeCommand(command.argv, USAGE);
    case 'ctl':
      return runCtl(command.argv, process.env);
  }
}

async function serve(options: Parameters<typeof resolveServeConfig>[0]): Promise<number> {
  const resolved = checkedAgainst(await resolveServeConfig(options), process.env);
  if (!resolved.ok) {
    process.stderr.write(`mcpgw: refusing to start, the config has problems:\n${resolved.problems.join('\n')}\n`);
    return 1;
  }
  // Credential headers are redacted from every log line; injected credentials are scrubbed once loaded.
  const secrets = new SecretsGuard([resolved.config.identity.apiKeyHeader]);
  const logger = createLogger(resolved.config.log.level, undefined, secrets);
  // A promise nobody awaited is a bug, but not one worth every request in flight: log it, keep serving.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled promise rejection; still serving'));
  const service = new GatewayService(resolved.config, logger, { secrets, ...(options.config ? { configPath: options.config } : {}) });
  const follower = followConfigFile(options, service, logger);
  try {
    await service.serve();
    await follower.watch();
  } catch (err) {
    follower.stop();
    logger.fatal({ err: (err as Error).message }, 'mcpgw could not start');
    await service.close();
    await new Promise<void>((r) => logger.flush(() => r()));
    return 1;
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received');
      follower.stop();
      void service.close().then(() => logger.flush(() => resolve(0)));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mcpgw: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
