// An end-to-end stack: real MCP pods, envoy-sim in front, mcpgw answering its ext_authz / ext_proc.
import { Writable } from 'node:stream';
import { parseConfig, type GatewayConfig } from '../../src/config/index.js';
import { GatewayService } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { EnvoySim, type EnvoySimOptions, type SimCluster } from '../envoy-sim/index.js';
import { startMcpPod, type McpPod, type McpPodOptions } from '../fixtures/index.js';

/** The shipped Envoy wiring (envoy/envoy.yaml), expressed as envoy-sim options. */
export function meshWiring(grpcTarget: string, opts: { extAuthz?: boolean; extProc?: boolean } = {}): Pick<EnvoySimOptions, 'extAuthz' | 'extProc'> {
  const wiring: Pick<EnvoySimOptions, 'extAuthz' | 'extProc'> = {};
  if (opts.extAuthz ?? true) {
    wiring.extAuthz = { target: grpcTarget, withRequestBody: { maxRequestBytes: 1024 * 1024, allowPartialMessage: false, packAsBytes: true }, timeoutMs: 2000 };
  }
  if (opts.extProc ?? true) {
    wiring.extProc = {
      target: grpcTarget,
      processingMode: { request_header_mode: 'SEND', response_header_mode: 'SEND', request_body_mode: 'BUFFERED', response_body_mode: 'NONE', request_trailer_mode: 'SKIP', response_trailer_mode: 'SKIP' },
      allowModeOverride: true,
      messageTimeoutMs: 2000,
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
  sim: EnvoySim;
  gateway: GatewayService;
  httpBase: string;
  logs: string[];
  /** The client-facing MCP URL through envoy-sim. */
  url: string;
  close(): Promise<void>;
}

export interface StackOptions {
  pods?: Array<Omit<McpPodOptions, 'name'> & { name: string }>;
  config?: GatewayConfig;
  cluster?: Partial<SimCluster>;
  extAuthz?: boolean;
  extProc?: boolean;
  bufferLimitBytes?: number;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const pods = await Promise.all((o.pods ?? [{ name: 'pod-a' }, { name: 'pod-b' }, { name: 'pod-c' }]).map((p) => startMcpPod(p)));
  const logs: string[] = [];
  const sink = new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) });
  const config = o.config ?? gatewayConfig();
  const gateway = new GatewayService(config, createLogger('info', sink));
  const addresses = await gateway.serve();
  const simOptions: EnvoySimOptions = {
    routes: [{ authority: '*', pathPrefix: '/', cluster: 'mcp' }],
    clusters: [{ name: 'mcp', lb: 'ring_hash', hashHeader: 'x-test-affinity', endpoints: pods.map((p) => p.hostKey), ...o.cluster }],
    ...meshWiring(addresses.grpc, { extAuthz: o.extAuthz, extProc: o.extProc }),
  };
  if (o.bufferLimitBytes !== undefined) simOptions.bufferLimitBytes = o.bufferLimitBytes;
  const sim = new EnvoySim(simOptions);
  await sim.start();
  return {
    pods,
    sim,
    gateway,
    httpBase: `http://${addresses.http}`,
    logs,
    url: `${sim.url}/mcp`,
    async close() {
      await sim.close();
      await gateway.close();
      await Promise.all(pods.map((p) => p.close()));
    },
  };
}
