// The MCPServer CRD: generated from the spec schema mcpgw validates with, structural as the API server
// requires, installed with the RBAC mcpgw needs, and its example accepted by both the CRD and mcpgw.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { compose, declaredServer, mcpServerCrdYaml, type McpServerObject } from '../../src/liveconfig/index.js';
import { instanceProblems, ownResourceProblems, structuralProblems } from './crdSchema.js';
import { objectProblems } from './k8sSchema.js';
import { at, objectsOf, oneObject } from './manifests.js';
import { readText } from './repo.js';

const crd = () => oneObject('istio/base', 'CustomResourceDefinition', 'mcpservers.mcpgw.io');
const schema = () => at(crd(), 'spec.versions') as Array<{ schema: { openAPIV3Schema: Record<string, unknown> } }>;
const example = () => oneObject('istio/examples/mcpserver-resource', 'MCPServer', 'files-readonly');

describe('the MCPServer CRD', () => {
  test('istio/base/crd-mcpserver.yaml is generated from the spec schema (run `npm run schema` if not)', () => {
    assert.equal(readText('istio/base/crd-mcpserver.yaml'), mcpServerCrdYaml());
  });

  test('is a valid CustomResourceDefinition with a structural schema and a status subresource', async () => {
    assert.deepEqual(await objectProblems(crd()), []);
    const [v] = schema();
    assert.deepEqual(structuralProblems(v!.schema.openAPIV3Schema), []);
    assert.deepEqual(at(crd(), 'spec.scope'), 'Namespaced');
    assert.deepEqual((at(crd(), 'spec.versions') as Array<Record<string, unknown>>)[0]!['subresources'], { status: {} });
  });

  test('the example MCPServer matches the CRD and is a server mcpgw accepts', () => {
    assert.deepEqual(ownResourceProblems(example()), []);
    const declared = declaredServer(example() as McpServerObject);
    assert.ok(declared.ok, JSON.stringify(declared));
    const base = parseConfig((oneObject('istio/base', 'ConfigMap')['data'] as Record<string, string>)['gateway.yaml']!);
    assert.ok(base.ok);
    // Beside the servers of the shipped gateway.yaml, as a replica would serve it.
    const composed = compose({ file: base.config, fileRef: 'gateway.yaml', kubernetes: new Map([['mcp/files-readonly', declared.server]]), api: new Map() }, { source: 'kubernetes', ref: 'mcp/files-readonly' });
    assert.ok(composed.ok, JSON.stringify(composed));
    const served = composed.config.servers.find((s) => s.name === 'files-readonly');
    assert.deepEqual(served?.endpoints, { kubernetes: { namespace: 'mcp', service: 'files-mcp-server', port: 'http', resyncSeconds: 300 } });
    assert.deepEqual(composed.config.limits.map((l) => l.name).filter((n) => n.startsWith('files-readonly.')), ['files-readonly.per-principal']);
  });

  test('a misspelt or mistyped field is caught by the CRD (the API server would prune or refuse it)', () => {
    const wrong = structuredClone(example()) as ReturnType<typeof example> & { spec: { tools: Record<string, unknown>; service: Record<string, unknown> } };
    wrong.spec.tools['alow'] = wrong.spec.tools['allow'];
    wrong.spec.service['port'] = 1.5;
    const problems = ownResourceProblems(wrong);
    assert.ok(problems.some((p) => p.includes('$.spec.tools.alow: not a field')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('$.spec.service.port')), problems.join('\n'));
    assert.deepEqual(instanceProblems({ type: 'integer', minimum: 1 }, 0), ['$: below the minimum 1']);
  });

  test('the mcpgw service account may read MCPServers and write only their status', () => {
    const roles = objectsOf('istio/base', 'ClusterRole').filter((r) => JSON.stringify(r).includes('mcpgw.io'));
    const rules = roles.flatMap((r) => r['rules'] as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>);
    const verbs = (resource: string) => rules.filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs).sort();
    assert.deepEqual(verbs('mcpservers'), ['get', 'list', 'watch']);
    assert.deepEqual(verbs('mcpservers/status'), ['get', 'patch', 'update']);
    const bound = objectsOf('istio/base', 'ClusterRoleBinding').filter((b) => roles.some((r) => at(b, 'roleRef.name') === r.metadata.name));
    assert.ok(bound.every((b) => JSON.stringify(b['subjects']).includes('"name":"mcpgw"')));
    assert.equal(bound.length, roles.length);
  });
});
