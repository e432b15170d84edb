// A real SDK stdio MCP server with tools that misbehave on purpose, for the bridge's fault tests.
// Plain JavaScript so each child starts as fast as `node` does (no TypeScript loader per session).
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { spawn } from 'node:child_process';
import { z } from 'zod';

const server = new McpServer({ name: 'fault-server', version: '0.0.0' });
const text = (t) => ({ content: [{ type: 'text', text: String(t) }] });

server.tool('echo', { text: z.string() }, async ({ text: t }) => text(t));
server.tool('pid', {}, async () => text(process.pid));
server.tool('env', {}, async () => text(JSON.stringify(Object.keys(process.env).sort())));
server.tool('slow', { ms: z.number() }, ({ ms }) => {
  process.stderr.write('fault-server: slow call started\n');
  return new Promise((r) => setTimeout(() => r(text(`slept ${ms} ms`)), ms));
});
server.tool('hang', {}, (_args, extra) => {
  process.stderr.write('fault-server: hang call started\n');
  extra.signal.addEventListener('abort', () => process.stderr.write('fault-server: hang call cancelled\n'));
  return new Promise(() => undefined);
});
server.tool('crash', {}, async () => {
  process.stderr.write('fault-server: crashing on purpose\n');
  process.exit(3);
});
server.tool('garbage', {}, async () => {
  process.stdout.write('this line is not JSON\n');
  return text('answered after garbage');
});
// Writes `bytes` of stdout with no newline, then never answers.
server.tool('flood', { bytes: z.number() }, ({ bytes }) => {
  const chunk = 'x'.repeat(64 * 1024);
  for (let n = 0; n < bytes; n += chunk.length) process.stdout.write(chunk);
  return new Promise(() => undefined);
});

// Leaves a helper behind that holds stdout open, then exits.
server.tool('orphan', {}, async () => {
  const helper = spawn('sleep', ['1000'], { stdio: ['ignore', 'inherit', 'inherit'] });
  process.stderr.write(`fault-server: helper pid=${helper.pid}\n`);
  process.exit(0);
});

process.stderr.write(`fault-server ready pid=${process.pid}\n`);
await server.connect(new StdioServerTransport());
