// Facts that must agree across files: names, ports, headers and paths that no single schema can see.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfig, type GatewayConfig } from '../../src/config/index.js';
import { at, envoyBootstrap, envoyCluster, envoyHttpFilters, envoyRoutes, envoyVirtualHosts, objectsOf, oneObject, renderAll } from './manifests.js';
import { extensionProviders } from './meshConfig.js';
import { readText, readYaml } from './repo.js';
import type { K8sObject } from './kustomize.js';

// The default affinity header. When the config grows
// servers[].affinity.header, the value configured for each server is used instead.
const DEFAULT_AFFINITY_HEADER = 'x-mcp-affinity';

function parsed(text: string, source: string): GatewayConfig {
  const result = parseConfig(text);
  assert.ok(result.ok, `${source} fails the config validator:\n${result.ok ? '' : result.problems.join('\n')}`);
  return result.config;
}

const affinityHeaders = (config: GatewayConfig) =>
  config.servers.map((s) => (s as { affinity?: { header?: string } }).affinity?.header ?? DEFAULT_AFFINITY_HEADER);

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

type Container = { name: string; args?: string[]; ports?: Array<{ name?: string; containerPort: number }>; volumeMounts?: Array<{ name: string; mountPath: string }>; [probe: string]: unknown };
type PodSpec = { containers: Container[]; volumes?: Array<{ name: string; configMap?: { name: string; items?: Array<{ key: string; path: string }> } }>; terminationGracePeriodSeconds?: number };

const podSpec = (workload: K8sObject) => at(workload, 'spec.template.spec') as PodSpec;

const base = 'istio/base';
const istioConfigMap = () => oneObject(base, 'ConfigMap');
const istioConfig = () => parsed((istioConfigMap()['data'] as Record<string, string>)['gateway.yaml'] ?? '', 'the istio/base ConfigMap');
const envoyConfig = () => parsed(readText('envoy/gateway.yaml'), 'envoy/gateway.yaml');
const [operator] = readYaml('istio/mesh/mesh-config-patch.yaml') as Array<{ spec: { meshConfig: unknown } }>;
const providers = extensionProviders(operator!.spec.meshConfig);

describe('configs', () => {
  test('the ConfigMap generated from istio/base/gateway.yaml passes the config validator unchanged', () => {
    assert.equal((istioConfigMap()['data'] as Record<string, string>)['gateway.yaml'], readText('istio/base/gateway.yaml'));
    istioConfig();
  });

  test('envoy/gateway.yaml passes the config validator', () => {
    envoyConfig();
  });
});

describe('affinity header', () => {
  const destinationRules = ['istio/overlays/affinity-ring-hash', 'istio/overlays/affinity-maglev'].flatMap((d) => objectsOf(d, 'DestinationRule'));

  test('every DestinationRule hashes the affinity header of the config', () => {
    const expected = new Set(affinityHeaders(istioConfig()));
    assert.equal(expected.size, 1, 'one header for all servers behind one gateway');
    assert.ok(destinationRules.length >= 4);
    for (const dr of destinationRules) {
      assert.equal(at(dr, 'spec.trafficPolicy.loadBalancer.consistentHash.httpHeaderName'), [...expected][0], dr.metadata.name);
    }
  });

  test('ring-hash and Maglev overlays set their algorithm and nothing else', () => {
    for (const dr of objectsOf('istio/overlays/affinity-ring-hash', 'DestinationRule')) {
      assert.deepEqual(at(dr, 'spec.trafficPolicy.loadBalancer.consistentHash.ringHash'), { minimumRingSize: 1024 });
      assert.equal(at(dr, 'spec.trafficPolicy.loadBalancer.consistentHash.maglev'), undefined);
    }
    for (const dr of objectsOf('istio/overlays/affinity-maglev', 'DestinationRule')) {
      assert.deepEqual(at(dr, 'spec.trafficPolicy.loadBalancer.consistentHash.maglev'), { tableSize: 65537 });
      assert.equal(at(dr, 'spec.trafficPolicy.loadBalancer.consistentHash.ringHash'), undefined);
    }
  });

  test('envoy.yaml hashes the same header on its MCP route, over a RING_HASH cluster', () => {
    const mcp = envoyRoutes().find((r) => r['name'] === 'mcp');
    assert.deepEqual(at(mcp, 'route.hash_policy'), affinityHeaders(envoyConfig()).slice(0, 1).map((h) => ({ header: { header_name: h } })));
    assert.equal(envoyCluster(at(mcp, 'route.cluster') as string)['lb_policy'], 'RING_HASH');
  });

  test('every DestinationRule host is a Service of the example servers and a VirtualService destination', () => {
    const services = objectsOf('istio/examples/mcp-server', 'Service').map((s) => `${s.metadata.name}.${s.metadata.namespace}.svc.cluster.local`);
    const vs = oneObject('istio/examples/ingress-istio', 'VirtualService');
    const destinations = (at(vs, 'spec.http') as unknown[]).flatMap((r) => (at(r, 'route') as unknown[]).map((d) => at(d, 'destination.host')));
    for (const dr of objectsOf('istio/overlays/affinity-ring-hash', 'DestinationRule')) {
      const host = at(dr, 'spec.host') as string;
      assert.ok(services.includes(host), `${host} is not one of ${services.join(', ')}`);
      assert.ok(destinations.includes(host), `${host} is not routed by the VirtualService`);
    }
  });
});

describe('mesh wiring', () => {
  const service = () => oneObject(base, 'Service', 'mcpgw');
  const fqdn = () => `${service().metadata.name}.${service().metadata.namespace}.svc.cluster.local`;
  const grpcPort = () => (at(service(), 'spec.ports') as Array<{ name: string; port: number; appProtocol?: string }>).find((p) => p.name === 'grpc');

  test('the mcpgw Service names its gRPC port so Istio speaks HTTP/2, on the config\'s gRPC port', () => {
    const port = grpcPort();
    assert.ok(port, 'no port named grpc');
    assert.equal(port.appProtocol, 'grpc');
    assert.equal(port.port, portOf(istioConfig().listen.grpc));
  });

  test('every CUSTOM AuthorizationPolicy names a provider of the meshConfig patch', () => {
    const names = providers.map((p) => p.name);
    const policies = renderAll().flatMap((r) => r.objects.filter((o) => o.kind === 'AuthorizationPolicy' && at(o, 'spec.action') === 'CUSTOM'));
    assert.ok(policies.length >= 4, 'one per shape');
    for (const ap of policies) {
      assert.ok(names.includes(at(ap, 'spec.provider.name') as string), `${ap.metadata.namespace}/${ap.metadata.name} names ${String(at(ap, 'spec.provider.name'))}; providers: ${names.join(', ')}`);
    }
  });

  test('both ext_authz providers point at the mcpgw Service and fail closed', () => {
    assert.deepEqual(providers.map((p) => p.name), ['mcpgw-ext-authz', 'mcpgw-ext-authz-with-body']);
    for (const provider of providers) {
      assert.equal(provider.envoyExtAuthzGrpc.service, fqdn());
      assert.equal(provider.envoyExtAuthzGrpc.port, grpcPort()?.port);
      assert.equal(provider.envoyExtAuthzGrpc.failOpen, false);
    }
  });

  test('the shipped provider sends headers only: with ext_proc on, the body crosses to mcpgw once', () => {
    const policies = renderAll().flatMap((r) => r.objects.filter((o) => o.kind === 'AuthorizationPolicy' && at(o, 'spec.action') === 'CUSTOM'));
    const named = new Set(policies.map((ap) => at(ap, 'spec.provider.name')));
    assert.deepEqual([...named], ['mcpgw-ext-authz']);
    assert.equal(providers[0]?.envoyExtAuthzGrpc.includeRequestBodyInCheck, undefined);
    assert.notEqual(istioConfig().extProc, false, 'a headers-only Check needs ext_proc to read the body');
  });

  test('the ext_authz-only provider sends the whole body, as bytes, up to what mcpgw accepts', () => {
    const body = providers[1]?.envoyExtAuthzGrpc.includeRequestBodyInCheck;
    assert.deepEqual(body, { maxRequestBytes: 1048576, allowPartialMessage: false, packAsBytes: true });
    assert.ok(body.maxRequestBytes >= istioConfig().requests.maxBodyBytes, 'Envoy must hand mcpgw every body mcpgw accepts');
  });

  test('the EnvoyFilter\'s ext_proc cluster is Istio\'s name for the mcpgw Service gRPC port', () => {
    const ef = oneObject('istio/shapes/gateway-classic', 'EnvoyFilter', 'mcpgw-ext-proc');
    const value = at((at(ef, 'spec.configPatches') as unknown[])[0], 'patch.value');
    assert.equal(at(value, 'typed_config.grpc_service.envoy_grpc.cluster_name'), `outbound|${grpcPort()?.port}||${fqdn()}`);
  });

  test('the EnvoyFilter and envoy.yaml configure ext_proc identically, but for the cluster', () => {
    const ef = oneObject('istio/shapes/gateway-classic', 'EnvoyFilter', 'mcpgw-ext-proc');
    const { grpc_service: _a, ...istio } = at((at(ef, 'spec.configPatches') as unknown[])[0], 'patch.value.typed_config') as Record<string, unknown>;
    const { grpc_service: _b, ...plain } = envoyHttpFilters()[1]!.typed_config;
    assert.deepEqual(istio, plain);
  });

  test('CUSTOM rules cover every server path of the config and leave the OAuth metadata public', () => {
    const ap = oneObject('istio/shapes/gateway-classic', 'AuthorizationPolicy', 'mcpgw-ext-authz');
    const paths = (at(ap, 'spec.rules') as unknown[]).flatMap((r) => (at(r, 'to') as unknown[]).flatMap((t) => at(t, 'operation.paths') as string[]));
    for (const s of istioConfig().servers) {
      assert.ok(paths.includes(s.match.pathPrefix) && paths.includes(`${s.match.pathPrefix}/*`), `${s.name}: ${s.match.pathPrefix} not covered by ${paths.join(', ')}`);
    }
    assert.ok(!paths.some((p) => p.startsWith('/.well-known') || p === '/*' || p === '*'));
  });

  test('the VirtualService routes every server path, without timeouts or retries', () => {
    const vs = oneObject('istio/examples/ingress-istio', 'VirtualService');
    const routes = at(vs, 'spec.http') as Array<Record<string, unknown>>;
    const prefixes = routes.flatMap((r) => (r['match'] as unknown[]).map((m) => at(m, 'uri.prefix')));
    for (const s of istioConfig().servers) assert.ok(prefixes.includes(s.match.pathPrefix), `${s.match.pathPrefix} not routed`);
    for (const r of routes) {
      assert.equal(r['timeout'], '0s');
      assert.deepEqual(r['retries'], { attempts: 0 });
    }
    assert.deepEqual(at(vs, 'spec.hosts'), [...new Set(istioConfig().servers.flatMap((s) => s.match.hosts))]);
  });
});

describe('the mcpgw Deployment', () => {
  const deployment = () => oneObject(base, 'Deployment', 'mcpgw');
  const container = () => podSpec(deployment()).containers[0]!;

  test('mounts the generated ConfigMap at the path its args pass to --config', () => {
    const args = container().args ?? [];
    const configPath = args[args.indexOf('--config') + 1];
    assert.deepEqual(args, ['serve', '--config', configPath]);
    const mount = container().volumeMounts?.find((m) => configPath?.startsWith(`${m.mountPath}/`));
    assert.ok(mount, `no volume mounted above ${configPath}`);
    const volume = podSpec(deployment()).volumes?.find((v) => v.name === mount.name);
    assert.equal(volume?.configMap?.name, istioConfigMap().metadata.name, 'the hash-suffixed generated name');
    const item = volume?.configMap?.items?.find((i) => `${mount.mountPath}/${i.path}` === configPath);
    assert.equal(item?.key, 'gateway.yaml');
  });

  test('exposes the config\'s listen ports as the container ports the Service targets', () => {
    const ports = Object.fromEntries((container().ports ?? []).map((p) => [p.name, p.containerPort]));
    const config = istioConfig();
    assert.deepEqual(ports, { grpc: portOf(config.listen.grpc), 'http-ops': portOf(config.listen.http) });
  });

  test('gives SIGTERM more time than the preStop pause plus shutdown.graceSeconds', () => {
    const pause = Number((at(container(), 'lifecycle.preStop.exec.command') as string[] | undefined)?.[1] ?? 0);
    const grace = podSpec(deployment()).terminationGracePeriodSeconds ?? 30;
    assert.ok(grace > pause + istioConfig().shutdown.graceSeconds, `${grace}s <= ${pause}s + ${istioConfig().shutdown.graceSeconds}s`);
  });

  test('probes: startup and liveness on gRPC health, readiness on /readyz', () => {
    assert.equal(at(container(), 'startupProbe.grpc.port'), portOf(istioConfig().listen.grpc));
    assert.equal(at(container(), 'livenessProbe.grpc.port'), portOf(istioConfig().listen.grpc));
    assert.equal(at(container(), 'readinessProbe.httpGet.path'), '/readyz');
    assert.equal(at(container(), 'readinessProbe.httpGet.port'), portOf(istioConfig().listen.http));
  });

  test('runs locked down: non-root 10001, read-only root, no capabilities, RuntimeDefault seccomp', () => {
    const pod = podSpec(deployment()) as PodSpec & { securityContext: Record<string, unknown> };
    assert.equal(pod.securityContext['runAsNonRoot'], true);
    assert.equal(pod.securityContext['runAsUser'], 10001);
    assert.deepEqual(pod.securityContext['seccompProfile'], { type: 'RuntimeDefault' });
    assert.equal(at(container(), 'securityContext.readOnlyRootFilesystem'), true);
    assert.deepEqual(at(container(), 'securityContext.capabilities.drop'), ['ALL']);
    assert.equal(at(container(), 'securityContext.allowPrivilegeEscalation'), false);
  });
});

describe('every workload', () => {
  const workloads = renderAll().flatMap((r) => r.objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)).map((o) => ({ dir: r.dir, o })));

  for (const { dir, o } of workloads) {
    test(`${dir}: ${o.kind} ${o.metadata.name} probes only ports its container declares`, () => {
      for (const c of podSpec(o).containers) {
        const declared = new Set<string | number>((c.ports ?? []).flatMap((p) => [p.containerPort, ...(p.name ? [p.name] : [])]));
        for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
          for (const handler of ['httpGet', 'tcpSocket', 'grpc']) {
            const port = at(c[probe], `${handler}.port`) as string | number | undefined;
            if (port !== undefined) assert.ok(declared.has(port), `${c.name} ${probe}.${handler}.port ${port} is not a container port (${[...declared].join(', ')})`);
          }
        }
      }
    });
  }
});

describe('plain Envoy', () => {
  test('the mcpgw cluster reaches the config\'s gRPC port over HTTP/2', () => {
    const cluster = envoyCluster('mcpgw');
    const port = at((at(cluster, 'load_assignment.endpoints') as unknown[])[0], 'lb_endpoints') as unknown[];
    assert.equal(at(port[0], 'endpoint.address.socket_address.port_value'), portOf(envoyConfig().listen.grpc));
    const options = (cluster['typed_extension_protocol_options'] as Record<string, unknown>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.ok(at(options, 'explicit_http_config.http2_protocol_options'), 'HTTP/2 must be explicit');
  });

  test('ext_authz and ext_proc both call the mcpgw cluster and fail closed', () => {
    const [authz, proc] = envoyHttpFilters();
    assert.equal(at(authz, 'typed_config.grpc_service.envoy_grpc.cluster_name'), 'mcpgw');
    assert.equal(at(proc, 'typed_config.grpc_service.envoy_grpc.cluster_name'), 'mcpgw');
    assert.equal(at(authz, 'typed_config.failure_mode_allow'), false);
    assert.equal(at(proc, 'typed_config.failure_mode_allow'), false);
    // Headers-only Check: the body crosses once, to ext_proc, bounded by the listener's buffer.
    assert.equal(at(authz, 'typed_config.with_request_body'), undefined);
    assert.equal(at(proc, 'typed_config.processing_mode.request_body_mode'), 'BUFFERED');
    assert.notEqual(envoyConfig().extProc, false, 'a headers-only Check needs ext_proc to read the body');
    const [listener] = at(envoyBootstrap(), 'static_resources.listeners') as unknown[];
    assert.ok((at(listener, 'per_connection_buffer_limit_bytes') as number) >= envoyConfig().requests.maxBodyBytes, 'Envoy must buffer every body mcpgw accepts');
  });

  test('the virtual host answers the hosts envoy/gateway.yaml claims, and only the MCP route is checked', () => {
    const bootstrapRoutes = envoyRoutes();
    const domains = envoyVirtualHosts().flatMap((vh) => vh['domains'] as string[]);
    for (const host of envoyConfig().servers.flatMap((s) => s.match.hosts)) assert.ok(domains.includes(host), `${host} not in ${domains.join(', ')}`);
    for (const s of envoyConfig().servers) {
      const route = bootstrapRoutes.find((r) => at(r, 'match.prefix') === s.match.pathPrefix);
      assert.ok(route, `no route for ${s.match.pathPrefix}`);
      assert.equal(at(route, 'typed_per_filter_config'), undefined, 'the MCP route must run both filters');
    }
    const wellKnown = bootstrapRoutes.find((r) => String(at(r, 'match.prefix')).startsWith('/.well-known/oauth-protected-resource'));
    assert.deepEqual(Object.keys(at(wellKnown, 'typed_per_filter_config') as object).sort(), ['envoy.filters.http.ext_authz', 'envoy.filters.http.ext_proc']);
  });
});

describe('mcpgw connection rotation', () => {
  // Envoy resets every ext_proc stream at its end; Node's HTTP/2 server closes a connection after
  // ~1000 resets faster than 33/s (nghttp2's rapid-reset guard). The shipped configs must rotate the
  // connection first, and the e2e suite runs envoy-sim with the same value.
  test('envoy.yaml and the Istio DestinationRule cap requests per mcpgw connection below 1000, equally', async () => {
    const { MCPGW_MAX_REQUESTS_PER_CONNECTION } = await import('../e2e/stack.js');
    const cluster = envoyCluster('mcpgw');
    const options = (cluster['typed_extension_protocol_options'] as Record<string, unknown>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    const envoyValue = Number(at(options, 'common_http_protocol_options.max_requests_per_connection'));
    const dr = objectsOf('istio/base', 'DestinationRule').find((d) => String(at(d, 'spec.host')).startsWith('mcpgw.'));
    assert.ok(dr, 'a DestinationRule for the mcpgw Service');
    const istioValue = Number(at(dr, 'spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection'));
    assert.ok(envoyValue > 0 && envoyValue < 1000, `envoy.yaml: ${envoyValue}`);
    assert.equal(istioValue, envoyValue);
    assert.equal(MCPGW_MAX_REQUESTS_PER_CONNECTION, envoyValue);
  });
});
