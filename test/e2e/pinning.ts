// Shared pieces of the session-pinning e2e suites.
import { parseConfig, type GatewayConfig } from '../../src/config/index.js';
import type { McpPod } from '../fixtures/index.js';

export const AFFINITY = 'x-mcp-affinity';

export function pinningConfig(pods: McpPod[] | null, extra: { server?: Record<string, unknown>; top?: Record<string, unknown> } = {}): GatewayConfig {
  const r = parseConfig(
    JSON.stringify({
      listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
      shutdown: { graceSeconds: 1 },
      admin: { tokenSha256: 'a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3' /* "123" */ },
      servers: [
        {
          name: 'demo',
          match: { hosts: ['127.0.0.1', 'localhost'], pathPrefix: '/' },
          tools: { deny: ['delete_*'] },
          ...(pods ? { endpoints: { static: pods.map((p) => p.hostKey) } } : {}),
          ...extra.server,
        },
      ],
      ...extra.top,
    }),
  );
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.config;
}

export const ADMIN_TOKEN = '123';

/** The pod a session lives on, as the pod itself reports it. */
export async function podOf(client: { callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown> }): Promise<{ pod: string; session: string }> {
  const r = (await client.callTool({ name: 'whoami', arguments: {} })) as { structuredContent: { pod: string; session: string } };
  return r.structuredContent;
}
