// `mcpgw ctl`: the control API from a shell, over gRPC (proto/mcpgw/v1/control.proto). Tables for
// people, `-o json` (the proto3 JSON mapping, as HTTP /v1 answers) or `-o yaml` for scripts.
import * as grpc from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { ProtoJson, loadControlProtos, type ControlMethodName, type Json, type JsonObject } from '../control/index.js';

export const CTL_USAGE = `usage: mcpgw ctl [flags] COMMAND
  servers ls | servers get NAME | servers apply -f FILE | servers rm NAME
  pods ls [--server NAME] | pods drain POD | pods undrain POD
  sessions ls [--server NAME] [--pod POD] [--principal ID] [--limit N] [--page-token T]
  sessions end ID [--server NAME]
  quota get TENANT | quota set TENANT NAME=VALUE... (VALUE: a positive integer, or "default")
  config version

flags (anywhere on the line):
  --addr HOST:PORT     mcpgw's gRPC port; env MCPGW_ADDR; default 127.0.0.1:9001
  --token TOKEN        the admin token; env MCPGW_ADMIN_TOKEN
  --tls-ca FILE        verify mcpgw's certificate with this CA (gRPC TLS); env MCPGW_TLS_CA
  --tls-cert FILE      client certificate (with --tls-key), e.g. an admin identity; env MCPGW_TLS_CERT
  --tls-key FILE       its key; env MCPGW_TLS_KEY
  -o, --output FORMAT  table (default), json or yaml
  -f, --file FILE      servers apply: the server (YAML or JSON, one servers[] item; - for stdin)
exit status: 0 done, 1 refused (bad input, conflict), 2 usage, 3 not an admin, 4 not found,
5 mcpgw unreachable or unavailable
`;

const DEADLINE_MS = 15_000;

class UsageError extends Error {}

interface Call {
  rpc: ControlMethodName;
  request: JsonObject;
  render: (response: JsonObject) => string;
}

type Flags = Record<string, string | undefined>;

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`missing ${what}`);
  return value;
}

/** Plain text columns, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

const s = (v: Json | undefined): string => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
const list = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? (v as JsonObject[]) : []);
const short = (enumName: Json | undefined, prefix: string) => s(enumName).replace(prefix, '').toLowerCase();

function serverRows(servers: JsonObject[]): string {
  return table(
    ['NAME', 'SOURCE', 'REF', 'VERSION', 'HOSTS'],
    servers.map((x) => {
      const origin = (x.origin ?? {}) as JsonObject;
      const match = ((x.spec as JsonObject | undefined)?.match ?? {}) as JsonObject;
      return [s(x.name), short(origin.source, 'CONFIG_SOURCE_'), s(origin.ref), s(origin.version), list(match.hosts as Json).join(',')];
    }),
  );
}

function sessionRows(sessions: JsonObject[]): string {
  return table(
    ['ID', 'SERVER', 'POD', 'KIND', 'PRINCIPAL', 'LAST SEEN'],
    sessions.map((x) => [s(x.id), s(x.server), s(x.pod), short(x.kind, 'SESSION_KIND_'), s(x.principal), s(x.lastSeenTime)]),
  );
}

function quotaRows(q: JsonObject): string {
  return `tenant ${s(q.tenant)}\n` + table(
    ['LIMIT', 'KIND', 'PER', 'CONFIGURED', 'OVERRIDE', 'EFFECTIVE', 'USED', 'REMAINING'],
    list(q.limits).map((l) => [s(l.name), s(l.kind), list(l.per).join(','), s(l.configured), s(l.override), s(l.effective), s(l.used), s(l.remaining)]),
  );
}

async function readSpec(file: string): Promise<JsonObject> {
  const text = file === '-' ? await new Promise<string>((resolve, reject) => {
    const parts: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts).toString('utf8'))).on('error', reject);
  }) : await readFile(file, 'utf8');
  let spec: unknown;
  try {
    spec = YAML.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not YAML or JSON: ${(err as Error).message}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new UsageError(`${file}: must hold one server (an object with name, match, ...)`);
  return spec as JsonObject;
}

async function plan(words: string[], flags: Flags): Promise<Call> {
  const [noun, verb, ...args] = words;
  const arg = (what: string) => need(args[0], what);
  switch (`${noun} ${verb}`) {
    case 'servers ls':
      return { rpc: 'ListServers', request: {}, render: (r) => serverRows(list(r.servers)) };
    case 'servers get':
      return { rpc: 'GetServer', request: { name: arg('NAME') }, render: (r) => YAML.stringify(r) };
    case 'servers apply': {
      const spec = await readSpec(need(flags.file, '-f FILE'));
      const name = need(typeof spec.name === 'string' ? spec.name : args[0], 'the server name (spec.name)');
      return { rpc: 'ApplyServer', request: { name, spec }, render: (r) => `server ${s(r.name)} applied (version ${s((r.origin as JsonObject | undefined)?.version)})\n` };
    }
    case 'servers rm':
      return { rpc: 'DeleteServer', request: { name: arg('NAME') }, render: (r) => `server ${s(r.name)} deleted (version ${s(r.configVersion)})\n` };
    case 'pods ls':
      return {
        rpc: 'ListPods',
        request: flags.server ? { server: flags.server } : {},
        render: (r) =>
          table(
            ['SERVER', 'POD', 'READY', 'IN LB', 'CONVERGING', 'DRAINING', 'SESSIONS'],
            list(r.servers).flatMap((sv) =>
              list(sv.pods).map((p) => [s(sv.server), s(p.host), s(p.ready ?? false), s(p.inLoadBalancer ?? false), s(p.converging ?? false), p.draining ? short(p.drainSource, 'DRAIN_SOURCE_') || 'yes' : '', s(p.liveSessions ?? '0')]),
            ),
          ),
      };
    case 'pods drain':
    case 'pods undrain':
      return { rpc: verb === 'drain' ? 'DrainPod' : 'UndrainPod', request: { pod: arg('POD') }, render: (r) => `pod ${s(r.pod)} ${r.draining ? `draining since ${s(r.drainingSince)}` : 'not draining'}\n` };
    case 'sessions ls': {
      const request: JsonObject = {};
      for (const k of ['server', 'pod', 'principal'] as const) if (flags[k]) request[k] = flags[k] as string;
      if (flags.limit) {
        if (!/^\d+$/.test(flags.limit)) throw new UsageError('--limit needs a number');
        request.pageSize = Number(flags.limit);
      }
      if (flags['page-token']) request.pageToken = flags['page-token'];
      return { rpc: 'ListSessions', request, render: (r) => sessionRows(list(r.sessions)) + (r.nextPageToken ? `more: --page-token ${s(r.nextPageToken)}\n` : '') };
    }
    case 'sessions end':
      return { rpc: 'EndSession', request: { id: arg('ID'), ...(flags.server ? { server: flags.server } : {}) }, render: (r) => `session ${s(r.id)} of ${s(r.server)} ended\n` };
    case 'quota get':
      return { rpc: 'GetTenantQuota', request: { tenant: arg('TENANT') }, render: quotaRows };
    case 'quota set': {
      const limits: JsonObject = {};
      const resetLimits: string[] = [];
      if (args.length < 2) throw new UsageError('quota set needs TENANT and at least one NAME=VALUE');
      for (const pair of args.slice(1)) {
        const m = /^([^=]+)=(.+)$/.exec(pair);
        if (!m?.[1] || !m[2]) throw new UsageError(`not NAME=VALUE: ${pair}`);
        if (m[2] === 'default') resetLimits.push(m[1]);
        else if (/^\d+$/.test(m[2])) limits[m[1]] = m[2];
        else throw new UsageError(`${m[1]}: VALUE must be a positive integer or "default"`);
      }
      return { rpc: 'SetTenantQuota', request: { tenant: arg('TENANT'), limits, resetLimits }, render: quotaRows };
    }
    case 'config version':
      return {
        rpc: 'GetConfigVersion',
        request: {},
        render: (r) => `version ${s(r.version)}\n` + table(['KIND', 'NAME', 'SOURCE', 'REF', 'VERSION'], list(r.items).map((i) => {
          const o = (i.origin ?? {}) as JsonObject;
          return [s(i.kind), s(i.name), short(o.source, 'CONFIG_SOURCE_'), s(o.ref), s(o.version)];
        })),
      };
    default:
      throw new UsageError(noun ? `unknown command "${words.slice(0, 2).join(' ')}"` : 'missing COMMAND');
  }
}

async function channelCredentials(flags: Flags): Promise<grpc.ChannelCredentials> {
  if (!flags['tls-ca'] && !flags['tls-cert']) return grpc.credentials.createInsecure();
  if (!flags['tls-cert'] !== !flags['tls-key']) throw new UsageError('--tls-cert and --tls-key go together');
  const read = (f: string | undefined) => (f ? readFile(f) : Promise.resolve(null));
  const [ca, key, cert] = await Promise.all([read(flags['tls-ca']), read(flags['tls-key']), read(flags['tls-cert'])]);
  return grpc.credentials.createSsl(ca, key, cert);
}

const EXIT: Partial<Record<grpc.status, number>> = {
  [grpc.status.UNAUTHENTICATED]: 3,
  [grpc.status.PERMISSION_DENIED]: 3,
  [grpc.status.NOT_FOUND]: 4,
  [grpc.status.UNAVAILABLE]: 5,
  [grpc.status.DEADLINE_EXCEEDED]: 5,
};

type Client = grpc.Client & Record<string, (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void>;

/** Runs one ctl command; returns the exit status. */
export async function runCtl(argv: string[], env: NodeJS.ProcessEnv, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let call: Call;
  let flags: Flags;
  let client: Client | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        addr: { type: 'string' },
        token: { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        output: { type: 'string', short: 'o' },
        file: { type: 'string', short: 'f' },
        server: { type: 'string' },
        pod: { type: 'string' },
        principal: { type: 'string' },
        limit: { type: 'string' },
        'page-token': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out.write(CTL_USAGE);
      return 0;
    }
    const { help: _help, ...strings } = values;
    flags = { ...strings, 'tls-ca': values['tls-ca'] ?? env.MCPGW_TLS_CA, 'tls-cert': values['tls-cert'] ?? env.MCPGW_TLS_CERT, 'tls-key': values['tls-key'] ?? env.MCPGW_TLS_KEY };
    if (flags.output && !['table', 'json', 'yaml'].includes(flags.output)) throw new UsageError('-o must be table, json or yaml');
    call = await plan(positionals, flags);
    const { client: Ctor } = loadControlProtos();
    client = new Ctor(values.addr ?? (env.MCPGW_ADDR || '127.0.0.1:9001'), await channelCredentials(flags)) as unknown as Client;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`mcpgw ctl: ${e.message}\n${CTL_USAGE}`);
    return 2;
  }
  const { definition, messages } = loadControlProtos();
  const json = new ProtoJson(definition);
  const types = messages.get(call.rpc) as { request: string; response: string };
  const metadata = new grpc.Metadata();
  const token = flags.token ?? env.MCPGW_ADMIN_TOKEN;
  if (token) metadata.set('authorization', `Bearer ${token}`);
  try {
    let request: Record<string, unknown>;
    try {
      request = json.fromJson(types.request, call.request);
    } catch (e) {
      err.write(`mcpgw ctl: ${(e as Error).message}\n`);
      return 1;
    }
    const method = client[call.rpc] as Client[string];
    const response = await new Promise<unknown>((resolve, reject) =>
      method.call(client, request, metadata, { deadline: Date.now() + DEADLINE_MS }, (e, r) => (e ? reject(e) : resolve(r))),
    );
    const body = json.toJson(types.response, response);
    if (flags.output === 'json') out.write(`${JSON.stringify(body, null, 2)}\n`);
    else if (flags.output === 'yaml') out.write(YAML.stringify(body));
    else out.write(call.render(body));
    return 0;
  } catch (e) {
    const se = e as grpc.ServiceError;
    const status = grpc.status[se.code] ?? String(se.code);
    err.write(`mcpgw ctl: ${status}: ${se.details || se.message}\n`);
    return EXIT[se.code] ?? 1;
  } finally {
    client.close();
  }
}
