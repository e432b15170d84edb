// Optional parts are loaded only when configured (issue 15, idle memory): a memory store never loads
// ioredis; static endpoints with provisioning off never load the Kubernetes client; the management
// endpoint off never loads the MCP SDK; no tracing endpoint never loads OpenTelemetry. Seen from
// outside, in a fresh process that serves and stops.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modulesLoadedBy } from '../support/loadedModules.js';

// @opentelemetry/api itself is loaded by prom-client's default metrics (exemplars); the SDK is what tracing adds.
const OPTIONAL = ['ioredis', '@kubernetes/client-node', '@modelcontextprotocol/sdk', '@opentelemetry/sdk-', '@opentelemetry/exporter-', '@opentelemetry/resources'];

describe('mcpgw serve with a memory store, static endpoints and no tracing', () => {
  it('loads neither ioredis, nor the Kubernetes client, nor the MCP SDK, nor the OpenTelemetry SDK', async () => {
    const loaded = await modulesLoadedBy('test/support/serveTypicalConfig.ts');
    assert.ok(loaded.some((m) => m.includes('/src/server/service.ts')), 'the recorder saw the server load');
    assert.ok(loaded.some((m) => m.includes('node_modules/@grpc/grpc-js/')), 'the recorder sees packages');
    const optional = loaded.filter((m) => OPTIONAL.some((p) => m.includes(`node_modules/${p}`)));
    assert.deepEqual(optional, []);
  });
});
