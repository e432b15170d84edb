// A small stateful Streamable HTTP MCP server for the plain-Envoy trial (envoy/compose.yaml runs two).
// Each session lives in this process only, which is exactly what mcpgw's pinning must respect:
// the `whoami` tool says which pod answered, so a pinned session always sees the same name.
// Any Streamable HTTP MCP server works in its place.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const POD = process.env.POD_NAME ?? 'example';
const PORT = Number(process.env.PORT ?? 8080);
const transports = new Map(); // Mcp-Session-Id -> transport

function buildServer() {
  const server = new McpServer({ name: `example-${POD}`, version: '0.1.0' });
  server.registerTool('whoami', { description: 'Which server pod holds this session.' }, async (extra) => ({
    content: [{ type: 'text', text: JSON.stringify({ pod: POD, sessionId: extra.sessionId }) }],
  }));
  server.registerTool('echo', { description: 'Echo the text back.', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('delete_everything', { description: 'Denied by envoy/gateway.yaml (delete_*).' }, async () => ({
    content: [{ type: 'text', text: `deleted everything on ${POD}` }],
  }));
  return server;
}

async function handleMcp(req, res) {
  const sessionId = req.headers['mcp-session-id'];
  let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
  if (sessionId !== undefined && !transport) {
    // The spec's signal to re-initialize; with mcpgw in front this means the session's pod changed.
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: `session not found on ${POD}` }, id: null }));
    return;
  }
  if (!transport) {
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => transports.set(id, transport),
    });
    transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
    await buildServer().connect(transport);
  }
  await transport.handleRequest(req, res);
}

createServer((req, res) => {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path === '/mcp') {
    handleMcp(req, res).catch((err) => {
      console.error(err);
      if (!res.headersSent) res.writeHead(500).end();
    });
    return;
  }
  if (path === '/.well-known/oauth-protected-resource/mcp') {
    // RFC 9728 metadata; public (envoy.yaml disables ext_authz and ext_proc on this path).
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ resource: 'http://localhost:8080/mcp', authorization_servers: [] }));
    return;
  }
  res.writeHead(404).end();
}).listen(PORT, '0.0.0.0', () => console.log(`example MCP server ${POD} on :${PORT}/mcp`));
