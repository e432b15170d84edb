// Each gateway shape's wiring matches that shape's proxies: the listener its Envoy really has, the
// labels or Gateway it really carries, the service account it really runs as. An EnvoyFilter that
// matches nothing is dropped silently by Istio (ext_authz still runs, ext_proc is just absent), so
// these facts are checked against the shapes' own install conventions and the shipped examples.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findKustomizations, kustomizationKind, type K8sObject } from './kustomize.js';
import { at, objectsOf, oneObject } from './manifests.js';
import { gatewayApiProblems } from './gatewayApi.js';
import { readText } from './repo.js';

interface ShapeFacts {
  dir: string;
  /** Namespace of the proxies (and of the EnvoyFilter and CUSTOM policy that select them). */
  namespace: string;
  context: 'GATEWAY' | 'SIDECAR_INBOUND';
  /** The port the proxy's own listener has (not the Service port in front of it). */
  listenerPort: number;
  /** How the proxies are selected: workloadSelector labels, or a Gateway API Gateway by name. */
  select: { labels: Record<string, string> } | { gateway: string } | 'namespace';
  principal: string;
}

const gatewayApiGateway = () => oneObject('istio/examples/ingress-gateway-api', 'Gateway', 'mcp-gateway');
const mcpService = () => objectsOf('istio/examples/mcp-server', 'Service')[0]!;

const SHAPES: ShapeFacts[] = [
  // istioctl's default profile: istio-ingressgateway, HTTPS on 8443 in the pod.
  { dir: 'istio/shapes/gateway-classic', namespace: 'istio-system', context: 'GATEWAY', listenerPort: 8443, select: { labels: { istio: 'ingressgateway' } }, principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account' },
  // `helm install istio-ingress istio/gateway -n istio-ingress`: named after the release, binds 443.
  { dir: 'istio/shapes/gateway-helm', namespace: 'istio-ingress', context: 'GATEWAY', listenerPort: 443, select: { labels: { istio: 'ingress' } }, principal: 'cluster.local/ns/istio-ingress/sa/istio-ingress' },
  // A Gateway API Gateway deployed by Istio: <name>-istio, on the Gateway listener's port.
  { dir: 'istio/shapes/gateway-api', namespace: 'mcp', context: 'GATEWAY', listenerPort: 443, select: { gateway: 'mcp-gateway' }, principal: 'cluster.local/ns/mcp/sa/mcp-gateway-istio' },
  // Inbound sidecars of every MCP server of namespace mcp, on the servers' port.
  { dir: 'istio/shapes/sidecar', namespace: 'mcp', context: 'SIDECAR_INBOUND', listenerPort: 8080, select: 'namespace', principal: 'cluster.local/ns/mcp/sa/*' },
];

type ConfigPatch = { applyTo: string; match: Record<string, unknown>; patch: { operation: string; value?: Record<string, unknown> } };
const patchesOf = (ef: K8sObject) => at(ef, 'spec.configPatches') as ConfigPatch[];
const httpFilterPatch = (ef: K8sObject) => patchesOf(ef).find((p) => p.applyTo === 'HTTP_FILTER')!;

const EXT_PROC = 'envoy.filters.http.ext_proc';

/**
 * Whether Envoy runs ext_proc for a request on this virtual host, after the EnvoyFilter's patches:
 * a filter marked `disabled` runs only where a virtual host's typed_per_filter_config enables it.
 */
function extProcRuns(ef: K8sObject, vhostName: string): boolean {
  if (at(httpFilterPatch(ef), 'patch.value.disabled') !== true) return true;
  return patchesOf(ef).some((p) => {
    if (p.applyTo !== 'VIRTUAL_HOST' || p.patch.operation !== 'MERGE' || at(p, 'match.routeConfiguration.vhost.name') !== vhostName) return false;
    const perFilter = (at(p, 'patch.value.typed_per_filter_config') as Record<string, Record<string, unknown>> | undefined)?.[EXT_PROC];
    if (!perFilter) return false;
    // A FilterConfig wrapper enables unless it says disabled; a bare per-route config enables.
    return perFilter['@type'] !== 'type.googleapis.com/envoy.config.route.v3.FilterConfig' || perFilter['disabled'] !== true;
  });
}

/** The gateway server ports of the example ingress for this shape, for the virtual host names. */
function serverPort(shape: ShapeFacts): number {
  if ('gateway' in (shape.select as object)) return (at(gatewayApiGateway(), 'spec.listeners') as Array<{ port: number }>)[0]!.port;
  const gw = oneObject('istio/examples/ingress-istio', 'Gateway');
  return (at(gw, 'spec.servers') as Array<{ port: { number: number } }>)[0]!.port.number;
}

const mcpHosts = () => [...new Set((at(oneObject('istio/examples/ingress-istio', 'VirtualService'), 'spec.hosts') as string[]))];

describe('gateway shapes', () => {
  for (const shape of SHAPES) {
    describe(shape.dir, () => {
      const ef = () => oneObject(shape.dir, 'EnvoyFilter', 'mcpgw-ext-proc');
      const custom = () => objectsOf(shape.dir, 'AuthorizationPolicy').filter((p) => at(p, 'spec.action') === 'CUSTOM');
      const callers = () => objectsOf(shape.dir, 'AuthorizationPolicy').filter((p) => at(p, 'spec.action') === 'ALLOW');

      test('the EnvoyFilter matches this shape\'s listener, in its namespace, before the router', () => {
        const p = httpFilterPatch(ef());
        assert.equal(ef().metadata.namespace, shape.namespace);
        assert.equal(at(p, 'match.context'), shape.context);
        assert.equal(at(p, 'match.listener.portNumber'), shape.listenerPort);
        assert.equal(at(p, 'match.listener.filterChain.filter.name'), 'envoy.filters.network.http_connection_manager');
        assert.equal(at(p, 'match.listener.filterChain.filter.subFilter.name'), 'envoy.filters.http.router');
        assert.equal(p.patch.operation, 'INSERT_BEFORE');
        assert.equal(at(p, 'patch.value.name'), EXT_PROC);
      });

      test('the EnvoyFilter and the CUSTOM policy select the same proxies', () => {
        const [policy] = custom();
        assert.equal(custom().length, 1);
        assert.equal(policy!.metadata.namespace, shape.namespace);
        if (shape.select === 'namespace') {
          assert.equal(at(ef(), 'spec.workloadSelector'), undefined, 'every workload of the namespace');
          assert.equal(at(policy, 'spec.selector'), undefined);
        } else if ('labels' in shape.select) {
          assert.deepEqual(at(ef(), 'spec.workloadSelector.labels'), shape.select.labels);
          assert.deepEqual(at(policy, 'spec.selector.matchLabels'), shape.select.labels);
        } else {
          const ref = [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: shape.select.gateway }];
          assert.deepEqual(at(ef(), 'spec.targetRefs'), ref);
          assert.deepEqual(at(policy, 'spec.targetRefs'), ref);
          assert.equal(at(ef(), 'spec.workloadSelector'), undefined, 'targetRefs and workloadSelector exclude each other');
          assert.equal(gatewayApiGateway().metadata.namespace, shape.namespace, 'targetRefs name a Gateway of the same namespace');
          assert.equal(serverPort(shape), shape.listenerPort, 'Istio\'s Gateway API deployment listens on the listener port');
          assert.equal(shape.principal, `cluster.local/ns/${shape.namespace}/sa/${shape.select.gateway}-istio`);
        }
      });

      test('only this shape\'s proxies may call mcpgw\'s gRPC port, and only for Check and Process', () => {
        const [allow] = callers();
        assert.equal(callers().length, 1);
        assert.equal(allow!.metadata.namespace, 'mcpgw-system');
        assert.equal(allow!.metadata.name, `mcpgw-grpc-callers-${shape.dir.split('/').pop()}`);
        assert.deepEqual(at(allow, 'spec.selector.matchLabels'), { 'app.kubernetes.io/name': 'mcpgw' });
        const rules = at(allow, 'spec.rules') as unknown[];
        assert.equal(rules.length, 1);
        assert.deepEqual(at(rules[0], 'from'), [{ source: { principals: [shape.principal] } }]);
        const grpcPort = (at(oneObject('istio/base', 'Service', 'mcpgw'), 'spec.ports') as Array<{ name: string; port: number }>).find((p) => p.name === 'grpc')!.port;
        assert.deepEqual(at(rules[0], 'to'), [{ operation: { ports: [String(grpcPort)], methods: ['POST'], paths: ['/envoy.service.auth.v3.Authorization/Check', '/envoy.service.ext_proc.v3.ExternalProcessor/Process'] } }]);
      });

      if (shape.context === 'GATEWAY') {
        test('a shared gateway does not pay for MCP: ext_proc runs on the MCP hosts only', () => {
          const port = serverPort(shape);
          for (const host of mcpHosts()) assert.equal(extProcRuns(ef(), `${host}:${port}`), true, `${host}:${port} (an MCP route)`);
          assert.equal(extProcRuns(ef(), `shop.example.com:${port}`), false, 'a non-MCP host on the same gateway');
          assert.equal(extProcRuns(ef(), `mcp.example.com:${port + 1}`), false, 'the MCP host on another gateway port');
          const hosts = patchesOf(ef()).filter((p) => p.applyTo === 'VIRTUAL_HOST').map((p) => at(p, 'match.context'));
          assert.deepEqual(new Set(hosts), new Set(['GATEWAY']));
        });
      } else {
        test('every request to the MCP servers\' port goes through ext_proc', () => {
          assert.equal(extProcRuns(ef(), 'inbound|http|8080'), true);
          assert.ok(!patchesOf(ef()).some((p) => p.applyTo === 'VIRTUAL_HOST'));
          const port = (at(mcpService(), 'spec.ports') as Array<{ port: number }>)[0]!.port;
          assert.equal(port, shape.listenerPort, 'the MCP Service port (= its targetPort) the inbound chain is matched on');
          assert.equal(at(oneObject(shape.dir, 'PeerAuthentication'), 'spec.mtls.mode'), 'STRICT');
        });
      }
    });
  }

  test('the CUSTOM policy of a gateway shape is the same rule set as the classic one\'s; the sidecar\'s drops the host', () => {
    const rules = (dir: string) => at(objectsOf(dir, 'AuthorizationPolicy').find((p) => at(p, 'spec.action') === 'CUSTOM'), 'spec.rules') as Array<{ to: Array<{ operation: Record<string, unknown> }> }>;
    const classic = rules('istio/shapes/gateway-classic');
    assert.deepEqual(rules('istio/shapes/gateway-helm'), classic);
    assert.deepEqual(rules('istio/shapes/gateway-api'), classic);
    const { hosts: _hosts, ...withoutHosts } = classic[0]!.to[0]!.operation;
    assert.deepEqual(rules('istio/shapes/sidecar'), [{ to: [{ operation: withoutHosts }] }]);
  });

  test('the shapes\' caller policies can coexist in mcpgw-system: each has its own name', () => {
    const names = SHAPES.flatMap((s) => objectsOf(s.dir, 'AuthorizationPolicy').filter((p) => p.metadata.namespace === 'mcpgw-system').map((p) => p.metadata.name));
    assert.equal(new Set(names).size, SHAPES.length);
  });

  test('every Component is included by a shipped Kustomization (so the tests validate it)', () => {
    const kustomizations = findKustomizations('istio');
    const included = new Set(kustomizations.flatMap((k) => [...readText(`${k}/kustomization.yaml`).matchAll(/^- (\.\.\/[^\s#]+)/gm)].map((m) => `${k}/${m[1]}`)).map((p) => p.split('/').reduce<string[]>((acc, part) => (part === '..' ? acc.slice(0, -1) : [...acc, part]), []).join('/')));
    for (const component of findKustomizations('istio', 'Component')) {
      assert.equal(kustomizationKind(component), 'Component');
      assert.ok(included.has(component), `${component} is not included by any kustomization`);
    }
  });
});

describe('istio/README.md', () => {
  const readme = readText('istio/README.md');
  const table = readme.slice(readme.indexOf('## 1. Choose your shape'), readme.indexOf('### What else is here'));

  test('the shape table names every shape with its listener port, and each shape has a walk-through', () => {
    for (const shape of SHAPES) {
      const row = table.split('\n').find((l) => l.includes(`\`${shape.dir}\``));
      assert.ok(row, `${shape.dir} is not in the table`);
      assert.match(row, new RegExp(`\\*\\*${shape.listenerPort}\\*\\*`), `${shape.dir}: the table must give listener ${shape.listenerPort}`);
      assert.ok(readme.includes(`kubectl apply -k ${shape.dir}`), `no walk-through step applies ${shape.dir}`);
    }
  });

  test('every listener check in a walk-through asks for the port its shape matches', () => {
    const checks = [...readme.matchAll(/istioctl proxy-config listener "\$(?:GW|POD)" -n \$NS --port (\d+)/g)].map((m) => Number(m[1]));
    const ports = new Set(SHAPES.filter((s) => s.context === 'GATEWAY').map((s) => s.listenerPort));
    assert.ok(checks.length >= 4);
    for (const port of checks) assert.ok(ports.has(port) || port === 15006, `--port ${port} is no shape's listener (15006 is the inbound one)`);
    assert.doesNotMatch(readme, /grep[^\n]*http2_protocol_options/, 'istioctl prints camelCase JSON');
  });
});

describe('address mode', () => {
  const ef = () => oneObject('istio/shapes/gateway-classic-address-mode', 'EnvoyFilter', 'mcpgw-ext-proc');

  test('ext_proc is inserted before the stateful-session filter, so the header it writes is read', () => {
    assert.equal(at(httpFilterPatch(ef()), 'match.listener.filterChain.filter.subFilter.name'), 'envoy.filters.http.stateful_session');
    assert.equal(httpFilterPatch(ef()).patch.operation, 'INSERT_BEFORE');
  });

  test('otherwise it is the classic shape unchanged', () => {
    const strip = (o: K8sObject) => {
      const copy = structuredClone(o);
      delete (at(copy, 'spec.configPatches.0.match.listener.filterChain.filter.subFilter') as Record<string, unknown>)['name'];
      return copy;
    };
    assert.deepEqual(strip(ef()), strip(oneObject('istio/shapes/gateway-classic', 'EnvoyFilter', 'mcpgw-ext-proc')));
  });

  test('the MCP Services carry the persistent-session label naming the affinity header mcpgw writes', () => {
    const services = objectsOf('istio/examples/mcp-server-address-mode', 'Service');
    assert.ok(services.length >= 2);
    const config = readText('istio/base/gateway.yaml');
    for (const s of services) {
      const header = (s.metadata['labels'] as Record<string, string>)['istio.io/persistent-session-header'];
      assert.ok(header && new RegExp(`header: ${header}\\b`).test(config), `${s.metadata.name}: ${header} is not servers[].affinity.header`);
    }
  });
});

describe('the Gateway API field check', () => {
  test('accepts the shipped Gateway and HTTPRoute, rejects a misspelt field and a bad enum', () => {
    const route = structuredClone(oneObject('istio/examples/ingress-gateway-api', 'HTTPRoute'));
    assert.deepEqual(gatewayApiProblems(route), []);
    (at(route, 'spec.rules.0') as Record<string, unknown>)['backendRef'] = [];
    (at(route, 'spec.rules.0.matches.0.path') as Record<string, unknown>)['type'] = 'Prefix';
    assert.deepEqual(gatewayApiProblems(route), ['$.spec.rules[0].matches[0].path.type: expected one of Exact, PathPrefix, RegularExpression', '$.spec.rules[0].backendRef is not a field']);
  });

  test('the HTTPRoute routes every server path to the example Services, with no timeout', () => {
    const route = oneObject('istio/examples/ingress-gateway-api', 'HTTPRoute');
    const rules = at(route, 'spec.rules') as Array<{ matches: Array<{ path: { value: string } }>; backendRefs: Array<{ name: string; port: number }>; timeouts: { request: string } }>;
    const vs = oneObject('istio/examples/ingress-istio', 'VirtualService');
    const vsRoutes = at(vs, 'spec.http') as Array<{ match: Array<{ uri: { prefix: string } }>; route: Array<{ destination: { host: string; port: { number: number } } }> }>;
    assert.deepEqual(
      rules.map((r) => ({ prefixes: r.matches.map((m) => m.path.value), to: r.backendRefs.map((b) => `${b.name}.mcp.svc.cluster.local:${b.port}`) })),
      vsRoutes.map((r) => ({ prefixes: r.match.map((m) => m.uri.prefix), to: r.route.map((d) => `${d.destination.host}:${d.destination.port.number}`) })),
      'the same routes as the VirtualService',
    );
    for (const r of rules) assert.equal(r.timeouts.request, '0s');
    assert.deepEqual(at(route, 'spec.hostnames'), at(vs, 'spec.hosts'));
  });
});
