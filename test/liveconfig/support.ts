// What the live-configuration tests ask a running mcpgw: the HTTP status ext_authz gives a tools/call
// for a host and path (200 when allowed), and the configuration version its metrics report.
import { httpStatusNumber, type CheckRequest } from '../../src/envoy/index.js';
import { postHeaders, type RunningGateway } from '../grpc/harness.js';

export function toolCall(host: string, path: string, tool: string): CheckRequest {
  const headers = { ...postHeaders({ ':authority': host, ':path': path }), 'x-envoy-auth-partial-body': 'false' };
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } });
  return { attributes: { request: { http: { method: 'POST', path, host, headers, body } } } };
}

/** 200 when mcpgw lets the call through, else the status of its refusal. */
export async function statusOf(gw: Pick<RunningGateway, 'check'>, host: string, path: string, tool = 'echo'): Promise<number> {
  const r = await gw.check(toolCall(host, path, tool));
  return r.status.code === 0 ? 200 : (httpStatusNumber(r.denied_response?.status?.code) ?? 0);
}

/** The version label of mcpgw_config_version_info on the ops port. */
export async function metricVersion(httpBase: string): Promise<string | undefined> {
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  return /^mcpgw_config_version_info\{version="([0-9a-f]+)"\} 1$/m.exec(text)?.[1];
}

/** One servers[] item on host `host`. */
export function server(name: string, host: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, match: { hosts: [host], pathPrefix: '/mcp' }, ...extra };
}
