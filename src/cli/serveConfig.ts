// The config `mcpgw serve` runs with: the file, then flag / environment overrides, validated as one.
import { LOG_LEVELS, loadConfigFile, parseListenAddress, type ConfigResult } from '../config/index.js';
import type { ServeOptions } from './args.js';

export async function resolveServeConfig(options: ServeOptions): Promise<ConfigResult> {
  if (!options.config) return { ok: false, problems: ['(root): no config file: pass --config FILE or set MCPGW_CONFIG'] };
  const loaded = await loadConfigFile(options.config);
  if (!loaded.ok) return loaded;
  const problems: string[] = [];
  for (const [flag, value] of [['--grpc-listen', options.grpcListen], ['--http-listen', options.httpListen]] as const) {
    if (value !== undefined && !parseListenAddress(value)) problems.push(`${flag}: must be host:port with a port from 0 to 65535, got "${value}"`);
  }
  if (options.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(options.logLevel)) {
    problems.push(`--log-level: must be one of ${LOG_LEVELS.join(', ')}, got "${options.logLevel}"`);
  }
  if (problems.length) return { ok: false, problems };
  const c = loaded.config;
  return {
    ok: true,
    config: {
      ...c,
      listen: { grpc: options.grpcListen ?? c.listen.grpc, http: options.httpListen ?? c.listen.http },
      log: { level: (options.logLevel as (typeof LOG_LEVELS)[number] | undefined) ?? c.log.level },
    },
  };
}
