// Entry for test/unit/optional-deps.test.ts: `mcpgw serve` as the CLI wires it (GatewayService) with a
// typical config (memory store, static endpoints, no tracing), started and stopped.
import { parseConfig } from '../../src/config/index.js';
import { GatewayService } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';

const parsed = parseConfig(
  JSON.stringify({
    listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
    shutdown: { graceSeconds: 1 },
    servers: [{ name: 'demo', match: { hosts: ['localhost'], pathPrefix: '/mcp' }, endpoints: { static: ['10.0.0.1:8080', '10.0.0.2:8080'] } }],
  }),
);
if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
const service = new GatewayService(parsed.config, createLogger('silent'));
await service.serve();
await service.close();
