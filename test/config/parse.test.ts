import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadConfigFile, parseConfig, type GatewayConfig } from '../../src/config/index.js';

const MINIMAL = 'servers:\n  - name: files\n    match: { hosts: [mcp.example.com] }\n';

function mustParse(text: string): GatewayConfig {
  const r = parseConfig(text);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  return r.config;
}

test('the example config is accepted', async () => {
  const r = await loadConfigFile(new URL('../../examples/gateway.yaml', import.meta.url).pathname);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  assert.deepEqual(r.config.servers.map((s) => s.name), ['files', 'tickets']);
  assert.ok(r.config.servers[0]?.tools.deny.includes('delete_*'));
  assert.equal(r.config.listen.grpc, '0.0.0.0:9001');
  assert.equal(r.config.store.kind, 'memory');
});

test('the example starts with the yaml-language-server schema line', async () => {
  const text = await readFile(new URL('../../examples/gateway.yaml', import.meta.url), 'utf8');
  assert.equal(text.split('\n', 1)[0], '# yaml-language-server: $schema=../schema/gateway.schema.json');
});

test('defaults fill everything except servers', () => {
  assert.deepEqual(mustParse(MINIMAL), {
    listen: { grpc: '0.0.0.0:9001', http: '0.0.0.0:9090' },
    log: { level: 'info' },
    shutdown: { graceSeconds: 8 },
    store: { kind: 'memory' },
    requests: { maxBodyBytes: 1048576, maxBatchSize: 16, maxJsonDepth: 32, maxStringBytes: 262144, maxNameBytes: { names: 1024, resourceUris: 16384 } },
    unmatchedRequests: 'reject',
    admin: {},
    extProc: true,
    audit: { destination: 'stdout', arguments: 'omit', redact: [] },
    tracing: { serviceName: 'mcpgw', sampleRatio: 1 },
    limits: [],
    limiting: { replicas: 1, headers: false, memoryCounters: 100000 },
    identity: { issuers: [], apiKeys: [], apiKeyHeader: 'x-api-key', maxTokenBytes: 8192, jwksCooldownSeconds: 30, jwksCacheSeconds: 600 },
    servers: [
      {
        name: 'files',
        match: { hosts: ['mcp.example.com'], pathPrefix: '/' },
        tools: { allow: ['*'], deny: [] },
        upstream: { passAuthorization: false, headers: [] },
        affinity: { header: 'x-mcp-affinity', mode: 'hash', loadBalancer: 'ring_hash', minimumRingSize: 1024, tableSize: 65537, convergenceSeconds: 30 },
        recovery: { mode: 'off', maxPerSession: 3, handshakeTimeoutSeconds: 5 },
      },
    ],
    sessions: { ttlSeconds: 86400, drainDeadlineSeconds: 3600, maxInMemory: 1000000 },
    kubernetes: { mcpServers: { enabled: false, namespaces: [], resyncSeconds: 300 } },
    management: { enabled: false, auth: 'admin' },
    provisioning: { enabled: false, namespaces: [], requireDigest: true, workload: 'StatefulSet' },
  });
});

test('partial sections keep the defaults of their other fields', () => {
  const c = mustParse(`listen: { grpc: "[::]:0" }\nrequests: { maxBatchSize: 4 }\n${MINIMAL}`);
  assert.equal(c.listen.grpc, '[::]:0');
  assert.equal(c.listen.http, '0.0.0.0:9090');
  assert.equal(c.requests.maxBatchSize, 4);
  assert.equal(c.requests.maxBodyBytes, 1048576);
});

test('maxStringBytes defaults down to a small maxBodyBytes instead of failing', () => {
  const c = mustParse(`requests: { maxBodyBytes: 1000 }\n${MINIMAL}`);
  assert.equal(c.requests.maxStringBytes, 1000);
});

test('requests.maxNameBytes: one cap set keeps the other default; zero is refused with its path', () => {
  const c = mustParse(`requests: { maxNameBytes: { names: 64 } }\nlimiting: { memoryCounters: 5000 }\n${MINIMAL}`);
  assert.deepEqual(c.requests.maxNameBytes, { names: 64, resourceUris: 16384 });
  assert.equal(c.limiting.memoryCounters, 5000);
  const bad = parseConfig(`requests: { maxNameBytes: { resourceUris: 0 } }\nlimiting: { memoryCounters: 10 }\n${MINIMAL}`);
  assert.ok(!bad.ok);
  const problems = bad.problems.join('\n');
  assert.match(problems, /requests\.maxNameBytes\.resourceUris/);
  assert.match(problems, /limiting\.memoryCounters/);
});

test('hosts are lower-cased so matching can compare them directly', () => {
  const c = mustParse('servers:\n  - name: a\n    match: { hosts: [MCP.Example.COM, "*.Files.example.com"] }\n');
  assert.deepEqual(c.servers[0]?.match.hosts, ['mcp.example.com', '*.files.example.com']);
});

test('parsed config is frozen, defaults included, and not shared between parses', () => {
  const a = mustParse(MINIMAL);
  const b = mustParse(MINIMAL);
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.servers) && Object.isFrozen(a.servers[0]?.tools.allow));
  assert.ok(Object.isFrozen(a.requests) && Object.isFrozen(a.store));
  assert.notEqual(a.servers[0]?.tools.allow, b.servers[0]?.tools.allow);
});

test('an unreadable file is one problem naming the file', async () => {
  const r = await loadConfigFile('/nonexistent/gateway.yaml');
  assert.deepEqual(r, { ok: false, problems: ['(root): cannot read config file "/nonexistent/gateway.yaml": no such file'] });
});
