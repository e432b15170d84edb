// Every kustomization under istio/, rendered by the real renderer, and every object it yields checked
// against its Kubernetes or Istio schema, unknown fields included (see k8sSchema.ts for why and how).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { objectProblems, validateObject } from './k8sSchema.js';
import { kubectlVersion } from './kustomize.js';
import { oneObject, renderAll } from './manifests.js';
import { readYaml } from './repo.js';
import { extensionProviderProblems, extensionProviders } from './meshConfig.js';

describe('kustomizations', () => {
  test('kubectl with kustomize v5 is installed', () => {
    assert.match(kubectlVersion(), /Kustomize Version: v[5-9]/);
  });

  const rendered = renderAll();

  test('every expected kustomization exists and renders', () => {
    const dirs = rendered.map((r) => r.dir);
    for (const d of ['istio/base', 'istio/shapes/gateway-classic', 'istio/shapes/gateway-helm', 'istio/shapes/gateway-api', 'istio/shapes/sidecar', 'istio/shapes/gateway-classic-address-mode', 'istio/overlays/affinity-ring-hash', 'istio/overlays/affinity-maglev', 'istio/examples/mcp-server', 'istio/examples/mcp-server-address-mode', 'istio/examples/ingress-istio', 'istio/examples/ingress-gateway-api', 'istio/examples/redis', 'istio/examples/redis-sentinel', 'istio/examples/redis-cluster', 'istio/examples/jwks-serviceentry', 'istio/examples/stdio-bridge', 'istio/examples/provisioning']) {
      assert.ok(dirs.includes(d), `${d} is missing (found ${dirs.join(', ')})`);
    }
    for (const r of rendered) assert.ok(r.objects.length > 0, `${r.dir} renders nothing`);
  });

  for (const { dir, objects } of rendered) {
    test(`${dir}: every object matches its schema and uses only defined fields`, async () => {
      const problems = (await Promise.all(objects.map((o) => objectProblems(o)))).flat();
      assert.deepEqual(problems, []);
    });
  }
});

describe('the unknown-field check', () => {
  test('rejects a misspelt httpHeaderName that the schema validator alone accepts', async () => {
    const dr = structuredClone(oneObject('istio/overlays/affinity-ring-hash', 'DestinationRule', 'files-mcp-server'));
    const hash = (dr['spec'] as { trafficPolicy: { loadBalancer: { consistentHash: Record<string, unknown> } } }).trafficPolicy.loadBalancer.consistentHash;
    hash['httpHeadrName'] = hash['httpHeaderName'];
    delete hash['httpHeaderName'];
    const result = await validateObject(dr);
    assert.deepEqual(result.schemaErrors, [], 'the published schema accepts it: that is the gap this check closes');
    assert.deepEqual(result.unknownFields, ['$.spec.trafficPolicy.loadBalancer.consistentHash.httpHeadrName']);
  });

  test('rejects a misspelt Kubernetes field (readinesProbe) and keeps maps (labels) free-form', async () => {
    const deployment = structuredClone(oneObject('istio/base', 'Deployment', 'mcpgw'));
    const pod = (deployment['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> }; metadata: { labels: Record<string, string> } } }).template;
    pod.spec.containers[0]!['readinesProbe'] = pod.spec.containers[0]!['readinessProbe'];
    pod.metadata.labels['any-label.example.com/key'] = 'v';
    const result = await validateObject(deployment);
    assert.deepEqual(result.unknownFields, ['$.spec.template.spec.containers[0].readinesProbe']);
  });

  test('still reports the schema validator\'s own errors (a wrong enum)', async () => {
    const pa = structuredClone(oneObject('istio/base', 'PeerAuthentication', 'mcpgw'));
    (pa['spec'] as { mtls: { mode: string } }).mtls.mode = 'STRICKT';
    const result = await validateObject(pa);
    assert.ok(result.schemaErrors.length > 0);
  });
});

describe('meshConfig extension provider', () => {
  const [operator] = readYaml('istio/mesh/mesh-config-patch.yaml') as Array<{ apiVersion: string; kind: string; spec: { meshConfig: unknown } }>;
  const [helmValues] = readYaml('istio/mesh/istiod-values.yaml') as Array<{ meshConfig: unknown }>;

  test('mesh-config-patch.yaml is an IstioOperator the schema accepts', async () => {
    assert.equal(operator?.kind, 'IstioOperator');
    assert.deepEqual((await validateObject(operator!)).schemaErrors, []);
  });

  test('the provider entry uses only fields of EnvoyExternalAuthorizationGrpcProvider', () => {
    assert.deepEqual(extensionProviderProblems(operator!.spec.meshConfig, 'spec.meshConfig'), []);
    assert.deepEqual(extensionProviderProblems(helmValues!.meshConfig), []);
  });

  test('the Helm values carry exactly the IstioOperator patch\'s providers', () => {
    assert.deepEqual(extensionProviders(helmValues!.meshConfig), extensionProviders(operator!.spec.meshConfig));
  });

  test('the provider check rejects a misspelt field', () => {
    const bad = structuredClone(operator!.spec.meshConfig) as { extensionProviders: Array<{ envoyExtAuthzGrpc: Record<string, unknown> }> };
    bad.extensionProviders[0]!.envoyExtAuthzGrpc['failOpn'] = false;
    assert.match(extensionProviderProblems(bad).join('\n'), /unknown field "failOpn"/);
  });
});
