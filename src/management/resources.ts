// Read-only views as MCP resources: the configuration version and where each server came from, one
// server (a resource template listing every server), and the pods. JSON, the control API's shapes.
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import type { ControlMethods, JsonObject } from '../control/index.js';
import type { Calls } from './calls.js';

const JSON_TYPE = 'application/json';

export function registerResources(server: McpServer, deps: { methods: ControlMethods; calls: Calls }): void {
  const { methods, calls } = deps;
  const read = async (uri: URL, fn: () => Promise<JsonObject>): Promise<ReadResourceResult> => {
    const outcome = await calls.run('resources/read', uri.href, undefined, fn);
    // The SDK turns a thrown error into a JSON-RPC error, the only way a read can fail in MCP.
    if (!outcome.ok) throw new Error(outcome.message);
    return { contents: [{ uri: uri.href, mimeType: JSON_TYPE, text: JSON.stringify(outcome.value, null, 2) }] };
  };

  server.registerResource(
    'config',
    'mcpgw://config',
    { title: 'Configuration version', description: 'The configuration version decisions are made under, and where each server came from (file, kubernetes, api).', mimeType: JSON_TYPE },
    (uri) => read(uri, () => methods.GetConfigVersion({})),
  );

  server.registerResource(
    'server',
    new ResourceTemplate('mcpgw://servers/{name}', {
      list: async () => {
        const { servers } = (await methods.ListServers({})) as { servers: Array<{ name: string }> };
        return { resources: servers.map((s) => ({ uri: `mcpgw://servers/${encodeURIComponent(s.name)}`, name: s.name, mimeType: JSON_TYPE })) };
      },
    }),
    { title: 'MCP server', description: 'One server\'s configuration and origin.', mimeType: JSON_TYPE },
    (uri, variables) => read(uri, () => methods.GetServer({ name: decodeURIComponent(String(variables.name)) })),
  );

  server.registerResource(
    'pods',
    'mcpgw://pods',
    { title: 'Pods', description: 'Pods per server as mcpgw sees them: in the load balancer, ready, draining, live sessions.', mimeType: JSON_TYPE },
    (uri) => read(uri, () => methods.ListPods({})),
  );
}
