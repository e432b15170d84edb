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
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'bridge'; argv: string[] }
  | { kind: 'ctl'; argv: string[] }
  | { kind: 'usage-error'; message: string };

export const USAGE = `usage:
  mcpgw serve [--config FILE] [--grpc-listen HOST:PORT] [--http-listen HOST:PORT] [--log-level LEVEL]
  mcpgw check-config FILE
  mcpgw schema            print the config JSON Schema
  mcpgw ctl COMMAND       the control API: servers, pods, sessions, quota, config (mcpgw ctl --help)
  mcpgw --version         print the version
  mcpgw COMMAND --help    help for one command

${BRIDGE_USAGE}
environment (flags win): MCPGW_CONFIG, MCPGW_GRPC_LISTEN, MCPGW_HTTP_LISTEN, MCPGW_LOG_LEVEL
`;

const COMMAND_HELP: Record<'serve' | 'check-config' | 'schema', string> = {
  serve: `usage: mcpgw serve [--config FILE] [--grpc-listen HOST:PORT] [--http-listen HOST:PORT] [--log-level LEVEL]

Runs the gateway: ext_authz and ext_proc on the gRPC listener, /healthz, /readyz and /metrics on the
HTTP listener. Stops gracefully on SIGTERM or SIGINT. Re-reads the config file when it changes and
on SIGHUP (servers, identity, limits, upstream credentials; docs/control-plane.md); an invalid file
is refused and the running config kept.

  --config FILE             config file (YAML or JSON); env MCPGW_CONFIG
  --grpc-listen HOST:PORT   overrides listen.grpc; env MCPGW_GRPC_LISTEN
  --http-listen HOST:PORT   overrides listen.http; env MCPGW_HTTP_LISTEN
  --log-level LEVEL         overrides log.level (fatal, error, warn, info, debug, trace, silent); env MCPGW_LOG_LEVEL
  -h, --help                this text
`,
  'check-config': `usage: mcpgw check-config FILE

Validates a config file as serve would. Prints "ok" (exit 0), or one "path.to.field: message" line
per problem (exit 1).
`,
  schema: `usage: mcpgw schema

Prints the config's JSON Schema, for editors (yaml-language-server) and CI.
`,
};

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
            help: { type: 'boolean', short: 'h' },
          },
          strict: true,
          allowPositionals: false,
        });
        if (values.help) return { kind: 'help', text: COMMAND_HELP.serve };
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
        const { positionals, values } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' } } });
        if (values.help) return { kind: 'help', text: COMMAND_HELP['check-config'] };
        const file = positionals[0];
        if (positionals.length !== 1 || file === undefined) return { kind: 'usage-error', message: 'check-config needs exactly one FILE' };
        return { kind: 'check-config', file };
      }
      case 'schema':
        return rest.includes('--help') || rest.includes('-h') ? { kind: 'help', text: COMMAND_HELP.schema } : { kind: 'schema' };
      case '--version':
      case '-v':
      case 'version':
        return { kind: 'version' };
      case 'bridge':
        return { kind: 'bridge', argv: rest };
      case 'ctl':
        return { kind: 'ctl', argv: rest };
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        return { kind: 'help', text: USAGE };
      default:
        return { kind: 'usage-error', message: `unknown command "${name}"` };
    }
  } catch (err) {
    return { kind: 'usage-error', message: (err as Error).message };
  }
}
