// istio/base as a platform team runs it beside its HPA, its drains and its mesh policies.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { at, objectsOf, oneObject } from './manifests.js';

const base = 'istio/base';

describe('istio/base', () => {
  test('the Deployment leaves replicas to the HPA that scales it, which keeps at least two', () => {
    const deployment = oneObject(base, 'Deployment', 'mcpgw');
    const hpa = oneObject(base, 'HorizontalPodAutoscaler', 'mcpgw');
    assert.deepEqual(at(hpa, 'spec.scaleTargetRef'), { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    assert.equal(at(deployment, 'spec.replicas'), undefined, 'a replicas field resets the HPA\'s count on every apply');
    assert.ok((at(hpa, 'spec.minReplicas') as number) >= 2);
  });

  test('two or more replicas run on the Redis store (the memory store keeps sessions per replica)', () => {
    const text = (oneObject(base, 'ConfigMap')['data'] as Record<string, string>)['gateway.yaml']!;
    const result = parseConfig(text);
    assert.ok(result.ok);
    assert.equal(result.config.store.kind, 'redis');
  });

  test('the PodDisruptionBudget lets a drain take one pod at a time', () => {
    const pdb = oneObject(base, 'PodDisruptionBudget', 'mcpgw');
    assert.equal(at(pdb, 'spec.maxUnavailable'), 1);
    assert.equal(at(pdb, 'spec.minAvailable'), undefined);
  });

  test('mTLS is STRICT on the gRPC port; only the ops port is permissive', () => {
    const pa = oneObject(base, 'PeerAuthentication', 'mcpgw');
    assert.equal(at(pa, 'spec.mtls.mode'), 'STRICT');
    assert.deepEqual(Object.keys(at(pa, 'spec.portLevelMtls') as object), ['9090']);
  });

  test('alone, it admits no one to the gRPC port: its only ALLOW policy names the ops port', () => {
    const policies = objectsOf(base, 'AuthorizationPolicy');
    assert.equal(policies.length, 1);
    assert.equal(at(policies[0], 'spec.action'), 'ALLOW');
    assert.deepEqual(at(policies[0], 'spec.selector.matchLabels'), { 'app.kubernetes.io/name': 'mcpgw' });
    assert.deepEqual(at(policies[0], 'spec.rules'), [{ to: [{ operation: { ports: ['9090'] } }] }]);
  });

  test('the NetworkPolicy lets mcpgw reach a Redis outside its namespace and an OTLP collector', () => {
    const egress = at(oneObject(base, 'NetworkPolicy', 'mcpgw'), 'spec.egress') as Array<{ ports: Array<{ port: number }>; to?: unknown[] }>;
    const open = (port: number) => egress.some((rule) => rule.to === undefined && rule.ports.some((p) => p.port === port));
    for (const port of [6379, 6380, 4318, 443]) assert.ok(open(port), `egress to port ${port} outside the namespace`);
  });
});
