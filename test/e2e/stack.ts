// An end-to-end stack: real MCP pods, envoy-sim in front, mcpgw answering its ext_authz / ext_proc.
import { Writable } from 'node:stream';
import { parseConfig, type GatewayConfig } from '../../src/config/index.js';
import { GatewayService } from '../../src/server/index.js';
import type { ServiceOptions } from '../../src/server/service.js';
import { createLogger } from '../../src/telemetry/index.js';
import { EnvoySim, type EnvoySimOptions, type SimCluster } from '../envoy-sim/index.js';
import { startMcpPod, type McpPod, type McpPodOptions } from '../fixtures/index.js';

/** max_requests_per_connection of the shipped mcpgw cluster (envoy/envoy.yaml, the Istio DestinationRule). */
export const MCPGW_MAX_REQUESTS_PER_CONNECTION = 500;

/** The shipped Envoy wiring (envoy/envoy.yaml), expressed as envoy-sim options. */
export function meshWiring(grpcTarget: string | string[], opts: { extAuthz?: boolean; extProc?: boolean } = {}): Pick<EnvoySimOptions, 'extAuthz' | 'extProc'> {
  const wiring: Pick<EnvoySimOptions, 'extAuthz' | 'extProc'> = {};
  if (opts.extAuthz ?? true) {
    wiring.extAuthz = { target: grpcTarget, withRequestBody: { maxRequestBytes: 1024 * 1024, allowPartialMessage: false, packAsBytes: true }, timeoutMs: 10_000 };
  }
  if (opts.extProc ?? true) {
    wiring.extProc = {
      target: grpcTarget,
      processingMode: { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'BUFFERED', response_body_mode: 'NONE', request_trailer_mode: 'SKIP', response_trailer_mode: 'SKIP' },
      allowModeOverride: true,
      messageTimeoutMs: 10_000,
      requestAttributes: ['source.address', 'request.id', 'connection.uri_san_peer_certificate'],
      responseAttributes: ['upstream.address'],
      forwardingNamespaces: ['envoy.filters.http.ext_authz'],
      receivingNamespaces: ['mcpgw'],
    };
  }
  return wiring;
}

export function gatewayConfig(overrides: Record<string, unknown> = {}): GatewayConfig {
  const r = parseConfig(
    JSON.stringify({
      listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
      shutdown: { graceSeconds: 2 },
      requests: { maxBodyBytes: 65536 },
      servers: [{ name: 'demo', match: { hosts: ['127.0.0.1', 'localhost'], pathPrefix: '/mcp' }, tools: { deny: ['delete_*'] } }],
      ...overrides,
    }),
  );
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

export interface Stack {
  pods: McpPod[];
  /** The first proxy (most tests run one). */
  sim: EnvoySim;
  /** Every proxy: `sim` first, then one per `StackOptions.proxies` entry, all wired to the same mcpgw. */
  sims: EnvoySim[];
  /** The first mcpgw replica (most tests run one). */
  gateway: GatewayService;
  gateways: GatewayService[];
  httpBase: string;
  httpBases: string[];
  /** The first replica's gRPC port (ext_authz, ext_proc, the control API). */
  grpcTarget: string;
  logs: string[];
  /** The client-facing MCP URL through envoy-sim. */
  url: string;
  close(): Promise<void>;
}

export interface StackOptions {
  pods?: Array<Omit<McpPodOptions, 'name'> & { name: string }>;
  config?: GatewayConfig;
  /** Config built once the pods' addresses are known (e.g. static endpoints). */
  configFor?: (pods: McpPod[]) => GatewayConfig;
  /** mcpgw replicas behind one envoy-sim (share a Redis store for shared sessions). */
  replicas?: number;
  cluster?: Partial<SimCluster>;
  extAuthz?: boolean;
  extProc?: boolean;
  bufferLimitBytes?: number;
  /** Test seams of every mcpgw replica (a fake Kubernetes API server, a clock). */
  service?: ServiceOptions;
  /** Extra envoy-sim options (e.g. the stateful_session filter, an EDS delay). */
  sim?: Pick<EnvoySimOptions, 'statefulSession' | 'edsDelayMs'>;
  /** More proxies (gateway replicas) with the same wiring and their own EDS delay. */
  proxies?: Array<Pick<EnvoySimOptions, 'edsDelayMs'>>;
  /** envoy-sim's port, when the config must know the public URL up front (auth.resource). */
  simPort?: number;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const pods = await Promise.all((o.pods ?? [{ name: 'pod-a' }, { name: 'pod-b' }, { name: 'pod-c' }]).map((p) => startMcpPod(p)));
  const logs: string[] = [];
  const sink = new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) });
  const config = o.configFor?.(pods) ?? o.config ?? gatewayConfig();
  const gateways = Array.from({ length: o.replicas ?? 1 }, () => new GatewayService(config, createLogger('info', sink), { auditStream: sink, ...o.service }));
  const addresses = await Promise.all(gateways.map((g) => g.serve()));
  const simOptions: EnvoySimOptions = {
    routes: [{ authority: '*', pathPrefix: '/', cluster: 'mcp' }],
    clusters: [{ name: 'mcp', lb: 'ring_hash', hashHeader: 'x-test-affinity', endpoints: pods.map((p) => p.hostKey), ...o.cluster }],
    ...meshWiring(addresses.map((a) => a.grpc), { extAuthz: o.extAuthz, extProc: o.extProc }),
    grpcMaxRequestsPerConnection: MCPGW_MAX_REQUESTS_PER_CONNECTION,
    ...o.sim,
  };
  if (o.bufferLimitBytes !== undefined) simOptions.bufferLimitBytes = o.bufferLimitBytes;
  if (o.simPort !== undefined) simOptions.listenPort = o.simPort;
  const sims = [simOptions, ...(o.proxies ?? []).map((p) => ({ ...simOptions, listenPort: undefined, ...p }))].map((opts) => new EnvoySim(opts));
  await Promise.all(sims.map((s) => s.start()));
  const sim = sims[0] as EnvoySim;
  return {
    pods,
    sim,
    sims,
    gateway: gateways[0] as GatewayService,
    gateways,
    httpBase: `http://${addresses[0]?.http}`,
    httpBases: addresses.map((a) => `http://${a.http}`),
    grpcTarget: addresses[0]?.grpc as string,
    logs,
    url: `${sim.url}/mcp`,
    async close() {
      await Promise.all(sims.map((s) => s.close()));
      await Promise.all(gateways.map((g) => g.close()));
      await Promise.all(pods.map((p) => p.close()));
    },
  };
}
