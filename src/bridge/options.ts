// `mcpgw bridge` flags and the child's environment allow-list.
import { parseArgs } from 'node:util';

export interface BridgeOptions {
  host: string;
  port: number;
  path: string;
  command: string;
  args: string[];
  maxSessions: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  graceMs: number;
  killAfterMs: number;
  maxLineBytes: number;
  maxBodyBytes: number;
  maxQueued: number;
  maxInFlight: number;
  retryAfterSeconds: number;
  /** Names (or `PREFIX_*`) of the bridge's environment variables the child also gets. */
  passEnv: string[];
  logLevel: string;
  /** One child for every session (stateless servers only). */
  shared: boolean;
  /** Also serve 2024-11-05 HTTP+SSE: GET /sse and POST /messages?sessionId=…. */
  legacySse: boolean;
}

/** What every child gets from the bridge's environment: enough to find programs and a home. */
export const BASE_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

export const BRIDGE_USAGE = `  mcpgw bridge [--port 8080] [--host 0.0.0.0] [--path /mcp] [--max-sessions 32]
               [--request-timeout-ms 60000] [--idle-timeout-ms 900000] [--grace-ms 10000]
               [--kill-after-ms 3000] [--max-line-bytes 4194304] [--max-body-bytes 4194304]
               [--max-in-flight 256] [--max-queued 1000] [--retry-after 5]
               [--pass-env NAME|PREFIX_*]... [--log-level info] [--shared] [--legacy-sse]
               -- COMMAND [ARGS...]
                          serve a stdio MCP server as Streamable HTTP (2025-03-26 … 2026-07-28),
                          one child per session (--shared: one child for every session, for
                          stateless servers; --legacy-sse: also 2024-11-05 HTTP+SSE on /sse)
`;

const ints: Record<string, keyof BridgeOptions> = {
  port: 'port',
  'max-sessions': 'maxSessions',
  'request-timeout-ms': 'requestTimeoutMs',
  'idle-timeout-ms': 'idleTimeoutMs',
  'grace-ms': 'graceMs',
  'kill-after-ms': 'killAfterMs',
  'max-line-bytes': 'maxLineBytes',
  'max-body-bytes': 'maxBodyBytes',
  'max-queued': 'maxQueued',
  'max-in-flight': 'maxInFlight',
  'retry-after': 'retryAfterSeconds',
};

const DEFAULTS: Omit<BridgeOptions, 'command' | 'args'> = {
  host: '0.0.0.0',
  port: 8080,
  path: '/mcp',
  maxSessions: 32,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 900_000,
  graceMs: 10_000,
  killAfterMs: 3_000,
  maxLineBytes: 4 * 1024 * 1024,
  maxBodyBytes: 4 * 1024 * 1024,
  maxQueued: 1000,
  maxInFlight: 256,
  retryAfterSeconds: 5,
  passEnv: [],
  logLevel: 'info',
  shared: false,
  legacySse: false,
};

export function parseBridgeArgs(argv: string[]): { ok: true; options: BridgeOptions } | { ok: false; message: string } {
  const dash = argv.indexOf('--');
  const flags = dash < 0 ? argv : argv.slice(0, dash);
  const [command, ...args] = dash < 0 ? [] : argv.slice(dash + 1);
  if (command === undefined || command === '') return { ok: false, message: 'bridge needs the stdio server after "--": mcpgw bridge [flags] -- COMMAND [ARGS...]' };
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: flags,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(ints).map((k) => [k, { type: 'string' as const }])),
        host: { type: 'string' },
        path: { type: 'string' },
        'pass-env': { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        shared: { type: 'boolean' },
        'legacy-sse': { type: 'boolean' },
      },
    }));
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  const options: BridgeOptions = { ...DEFAULTS, command, args };
  for (const [flag, key] of Object.entries(ints)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const n = Number(raw);
    const min = key === 'port' || key === 'idleTimeoutMs' || key === 'graceMs' ? 0 : 1;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || (key === 'port' && n > 65535)) {
      return { ok: false, message: `--${flag} must be a whole number${min ? ' above 0' : ''}${key === 'port' ? ' up to 65535' : ''}, got "${raw}"` };
    }
    (options as unknown as Record<string, number>)[key] = n;
  }
  if (typeof values.host === 'string') options.host = values.host;
  if (typeof values.path === 'string') {
    if (!values.path.startsWith('/')) return { ok: false, message: `--path must start with "/", got "${values.path}"` };
    options.path = values.path;
  }
  if (Array.isArray(values['pass-env'])) options.passEnv = values['pass-env'];
  if (typeof values['log-level'] === 'string') options.logLevel = values['log-level'];
  options.shared = values.shared === true;
  options.legacySse = values['legacy-sse'] === true;
  if (options.legacySse && ['/sse', '/messages'].includes(options.path)) return { ok: false, message: `--path ${options.path} is taken by --legacy-sse` };
  return { ok: true, options };
}

/** The child's environment: the base names plus the allow-list, nothing else of the bridge's. */
export function childEnv(env: NodeJS.ProcessEnv, passEnv: string[]): NodeJS.ProcessEnv {
  const allowed = (name: string) =>
    BASE_ENV.includes(name) || passEnv.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && allowed(k)));
}
