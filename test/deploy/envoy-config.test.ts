// envoy/envoy.yaml and every EnvoyFilter patch value, decoded field by field against Envoy's official
// protos (the @grpc/grpc-js-xds copy mcpgw itself uses), so a typo fails here instead of at Envoy startup.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EnvoyProtoRoot } from './envoyProtos.js';
import { envoyBootstrap, envoyHttpFilters, renderAll } from './manifests.js';
import { StrictProtoChecker } from './protoStrict.js';

const root = new EnvoyProtoRoot();
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

// EnvoyFilter applyTo → the Envoy message its patch value is (Istio's networking/v1alpha3/envoy_filter.proto).
const PATCH_VALUE_TYPE: Record<string, string> = {
  LISTENER: 'envoy.config.listener.v3.Listener',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
};

const clone = <T>(v: T): T => structuredClone(v);

describe('envoy/envoy.yaml', () => {
  test('decodes as envoy.config.bootstrap.v3.Bootstrap with every field and @type known', () => {
    assert.deepEqual(StrictProtoChecker.check(root, BOOTSTRAP, envoyBootstrap()), []);
  });

  test('HTTP filters run ext_authz, then ext_proc, then the router last', () => {
    assert.deepEqual(
      envoyHttpFilters().map((f) => f.name),
      ['envoy.filters.http.ext_authz', 'envoy.filters.http.ext_proc', 'envoy.filters.http.router'],
    );
  });
});

describe('EnvoyFilter patch values', () => {
  const filters = renderAll().flatMap(({ dir, objects }) =>
    objects.filter((o) => o.kind === 'EnvoyFilter').map((o) => ({ dir, filter: o })),
  );

  test('the mesh wiring ships at least one EnvoyFilter', () => {
    assert.ok(filters.length > 0);
  });

  for (const { dir, filter } of filters) {
    test(`${dir}: EnvoyFilter ${filter.metadata.name} patches decode as their Envoy messages`, () => {
      const patches = (filter['spec'] as { configPatches: Array<{ applyTo: string; patch: { value?: unknown } }> }).configPatches;
      patches.forEach((p, i) => {
        const type = PATCH_VALUE_TYPE[p.applyTo];
        assert.ok(type, `configPatches[${i}].applyTo ${p.applyTo} has no known Envoy message`);
        if (p.patch.value === undefined) return; // REMOVE needs no value
        assert.deepEqual(StrictProtoChecker.check(root, type, p.patch.value, `configPatches[${i}].patch.value`), []);
      });
    });
  }
});

describe('the strict proto checker', () => {
  const extProc = () => clone(envoyHttpFilters()[1]!.typed_config);
  // The typed_config carries its "@type", so it is checked as the Any it is in the file.
  const problemsOf = (value: unknown) => StrictProtoChecker.check(root, 'google.protobuf.Any', value);

  test('rejects a misspelt field that protobufjs fromObject would silently drop', () => {
    const bad = envoyBootstrap();
    const copy = clone(bad) as { static_resources: { clusters: Array<Record<string, unknown>> } };
    copy.static_resources.clusters[0]!['lb_polcy'] = 'RING_HASH';
    const problems = StrictProtoChecker.check(root, BOOTSTRAP, copy);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /clusters\[0\]\.lb_polcy: unknown field "lb_polcy" in envoy\.config\.cluster\.v3\.Cluster/);
  });

  test('rejects an unknown enum value', () => {
    const v = extProc();
    (v['processing_mode'] as Record<string, unknown>)['request_body_mode'] = 'BUFERED';
    const problems = problemsOf(v);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /unknown .*BodySendMode value "BUFERED"/);
  });

  test('rejects a Duration Envoy cannot parse ("500ms")', () => {
    const v = extProc();
    v['message_timeout'] = '500ms';
    assert.match(problemsOf(v).join('\n'), /message_timeout: expected a duration/);
  });

  test('rejects an @type no proto defines', () => {
    const v = extProc();
    v['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcesser';
    assert.match(problemsOf(v).join('\n'), /cannot resolve @type/);
  });

  test('rejects two members of one oneof and a missing required oneof', () => {
    const v = extProc();
    (v['grpc_service'] as Record<string, unknown>)['google_grpc'] = { target_uri: 'x', stat_prefix: 'x' };
    assert.match(problemsOf(v).join('\n'), /only one of oneof "target_specifier"/);
    const none = extProc();
    none['grpc_service'] = {};
    assert.match(problemsOf(none).join('\n'), /one of envoy_grpc \| google_grpc is required/);
  });

  test('accepts lowerCamel keys as Envoy does, and reports a key given twice', () => {
    const v = extProc();
    v['allowModeOverride'] = true;
    assert.match(problemsOf(v).join('\n'), /field set twice/);
    const camel = extProc();
    camel['messageTimeout'] = camel['message_timeout'];
    delete camel['message_timeout'];
    assert.deepEqual(problemsOf(camel), []);
  });
});
