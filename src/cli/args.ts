// Command-line parsing: flags win over MCPGW_* environment variables, which win over the config file.
import { parseArgs } from 'node:util';
import { BRIDGE_USAGE } from '../bridge/index.js';

export interface ServeOptions {
  config?: string;
  grpcListen?: string;
  httpListen?: string;
  logLevel?: string;
}

export type Command =
  | { kind: 'serve'; options: ServeOptions }
  | { kind: 'check-config'; file: string }
  | { kind: 'schema' }
  | { kind: 'bridge'; argv: string[] }
  | { kind: 'help' }
  | { kind: 'usage-error'; message: string };

export const USAGE = `usage:
  mcpgw serve [--config FILE] [--grpc-listen HOST:PORT] [--http-listen HOST:PORT] [--log-level LEVEL]
  mcpgw check-config FILE
  mcpgw schema            print the config JSON Schema
${BRIDGE_USAGE}
environment (flags win): MCPGW_CONFIG, MCPGW_GRPC_LISTEN, MCPGW_HTTP_LISTEN, MCPGW_LOG_LEVEL
`;

export function parseCommand(argv: string[], env: NodeJS.ProcessEnv): Command {
  const [name, ...rest] = argv;
  try {
    switch (name) {
      case 'serve': {
        const { values } = parseArgs({
          args: rest,
          options: {
            config: { type: 'string' },
            'grpc-listen': { type: 'string' },
            'http-listen': { type: 'string' },
            'log-level': { type: 'string' },
          },
          strict: true,
          allowPositionals: false,
        });
        const pick = (flag: string | undefined, envName: string) => flag ?? (env[envName] || undefined);
        const options: ServeOptions = {};
        const set = <K extends keyof ServeOptions>(k: K, v: string | undefined) => v !== undefined && (options[k] = v);
        set('config', pick(values.config, 'MCPGW_CONFIG'));
        set('grpcListen', pick(values['grpc-listen'], 'MCPGW_GRPC_LISTEN'));
        set('httpListen', pick(values['http-listen'], 'MCPGW_HTTP_LISTEN'));
        set('logLevel', pick(values['log-level'], 'MCPGW_LOG_LEVEL'));
        return { kind: 'serve', options };
      }
      case 'check-config': {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: {} });
        const file = positionals[0];
        if (positionals.length !== 1 || file === undefined) return { kind: 'usage-error', message: 'check-config needs exactly one FILE' };
        return { kind: 'check-config', file };
      }
      case 'schema':
        return { kind: 'schema' };
      case 'bridge':
        return { kind: 'bridge', argv: rest };
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return { kind: 'help' };
      default:
        return { kind: 'usage-error', message: `unknown command "${name}"` };
    }
  } catch (err) {
    return { kind: 'usage-error', message: (err as Error).message };
  }
}
