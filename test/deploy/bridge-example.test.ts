// istio/examples/stdio-bridge checked against what it promises: the bridge's own flag parser accepts
// the pod's args, probes and ports meet the bridge's routes, the grace period covers the drain, the
// DestinationRule pins its Service on mcpgw's affinity header, and the README's server entry is valid config.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import YAML from 'yaml';
import { parseBridgeArgs } from '../../src/bridge/index.js';
import { parseConfig } from '../../src/config/index.js';
import { at, oneObject } from './manifests.js';
import { readText } from './repo.js';

const DIR = 'istio/examples/stdio-bridge';

type Container = { args: string[]; image: string; ports: Array<{ name: string; containerPort: number }>; readinessProbe: unknown; livenessProbe: unknown };

describe(DIR, () => {
  const sts = oneObject(DIR, 'StatefulSet', 'everything-bridge');
  const svc = oneObject(DIR, 'Service', 'everything-bridge');
  const container = (at(sts, 'spec.template.spec.containers') as Container[])[0]!;

  test('the pod runs the bridge target: its args parse as `mcpgw bridge --port 8080 …` with a server command', () => {
    // The bridge target's entrypoint adds `--port 8080` before the pod's args.
    const parsed = parseBridgeArgs(['--port', '8080', ...container.args]);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    assert.equal(parsed.options.command, 'mcp-server-everything');
    assert.deepEqual(parsed.options.args, ['stdio']);
    assert.equal(container.ports.find((p) => p.name === 'http')?.containerPort, parsed.options.port);
    assert.match(container.image, /:\d+\.\d+\.\d+$/, 'a pinned tag, never latest');
    const graceSeconds = at(sts, 'spec.template.spec.terminationGracePeriodSeconds') as number;
    assert.ok(graceSeconds * 1000 > parsed.options.graceMs + parsed.options.killAfterMs, 'Kubernetes waits until the bridge reaped its children');
    assert.equal(at(sts, 'spec.template.spec.securityContext.runAsUser'), 10001);
  });

  test('probes use the bridge ops routes on its port; the Service targets that port', () => {
    assert.deepEqual(at(container.readinessProbe, 'httpGet'), { path: '/readyz', port: 'http' });
    assert.deepEqual(at(container.livenessProbe, 'httpGet'), { path: '/healthz', port: 'http' });
    assert.equal(at(svc, 'spec.ports.0.targetPort'), 'http');
    assert.deepEqual(at(svc, 'spec.selector'), at(sts, 'spec.template.metadata.labels'));
  });

  test('the DestinationRule pins sessions to pods of this Service on mcpgw\'s affinity header', () => {
    const dr = oneObject(DIR, 'DestinationRule', 'everything-bridge');
    assert.equal(at(dr, 'spec.host'), `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`);
    assert.equal(at(dr, 'spec.trafficPolicy.loadBalancer.consistentHash.httpHeaderName'), 'x-mcp-affinity');
  });

  test('the README\'s server entry is valid mcpgw config pointing at this Service', () => {
    const block = /```yaml\n([\s\S]*?)```/.exec(readText(`${DIR}/README.md`))?.[1];
    assert.ok(block, 'a yaml block in the README');
    const base = YAML.parse((oneObject('istio/base', 'ConfigMap')['data'] as Record<string, string>)['gateway.yaml']!) as { servers: unknown[] };
    const entry = (YAML.parse(block) as Array<Record<string, unknown>>)[0]!;
    const result = parseConfig(YAML.stringify({ ...base, servers: [...base.servers, entry] }));
    assert.ok(result.ok, result.ok ? '' : result.problems.join('\n'));
    assert.deepEqual(at(entry, 'endpoints.kubernetes'), { namespace: svc.metadata.namespace, service: svc.metadata.name, port: 'http' });
  });
});
