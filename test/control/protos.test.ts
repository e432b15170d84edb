// proto/mcpgw/v1 compiles with @grpc/proto-loader; the proto3 JSON mapping round-trips through the
// binary wire format; the names the code writes as dynamic metadata are the proto's field names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { CONTROL_PROTO, CONTROL_SERVICE, JsonInputError, METADATA_PROTO, ProtoJson, loadControlProtos, protoDir, timestampJson, type JsonObject } from '../../src/control/index.js';
import {
  EXT_AUTHZ_METADATA_FIELDS,
  EXT_AUTHZ_NAMESPACE,
  MCPGW_METADATA_NAMESPACE,
  REQUEST_METADATA_FIELDS,
  extAuthzMetadata,
  extProcMetadata,
} from '../../src/envoy/index.js';

const { definition, messages, service } = loadControlProtos();
const json = new ProtoJson(definition);

/** Field names as written in the .proto (keepCase), which is what Envoy sees in a Struct. */
function protoFieldNames(type: string): string[] {
  const def = protoLoader.loadSync([METADATA_PROTO], { keepCase: true, includeDirs: [protoDir()] });
  return (def[`mcpgw.v1.${type}`] as { type: { field: Array<{ name: string }> } }).type.field.map((f) => f.name);
}

/** JSON → proto-loader object → protobuf bytes → object → JSON. */
function wireRoundTrip(type: string, value: JsonObject): JsonObject {
  const rpc = [...messages].find(([, m]) => m.request === type || m.response === type);
  assert.ok(rpc, `${type} is some method's request or response`);
  const [name, m] = rpc;
  const method = service[name];
  assert.ok(method);
  const [serialize, deserialize] = m.request === type ? [method.requestSerialize, method.requestDeserialize] : [method.responseSerialize, method.responseDeserialize];
  const bytes = serialize(json.fromJson(type, value));
  return json.toJson(type, deserialize(bytes));
}

describe('proto/mcpgw/v1', () => {
  it('both files load with proto-loader, and Control has every method the docs list', () => {
    const def = protoLoader.loadSync([CONTROL_PROTO, METADATA_PROTO], { includeDirs: [protoDir()] });
    assert.ok(def[CONTROL_SERVICE]);
    assert.deepEqual(Object.keys(service).sort(), [
      'ApplyServer', 'DeleteServer', 'DrainPod', 'EndSession', 'GetConfigVersion', 'GetServer', 'GetTenantQuota',
      'ListPods', 'ListServers', 'ListSessions', 'SetTenantQuota', 'UndrainPod',
    ]);
  });

  it('the dynamic metadata the code writes uses the proto\'s namespace and field names', () => {
    assert.deepEqual(protoFieldNames('ExtProcDynamicMetadata'), [MCPGW_METADATA_NAMESPACE]);
    assert.deepEqual(protoFieldNames('RequestMetadata'), Object.values(REQUEST_METADATA_FIELDS));
    assert.deepEqual(protoFieldNames('ExtAuthzDynamicMetadata'), Object.values(EXT_AUTHZ_METADATA_FIELDS));
    const facts = { server: 'files', method: 'tools/call', name: 'read' };
    const extProc = extProcMetadata(facts);
    assert.deepEqual(Object.keys(extProc.fields ?? {}), protoFieldNames('ExtProcDynamicMetadata'));
    assert.deepEqual(Object.keys(extProc.fields?.[MCPGW_METADATA_NAMESPACE]?.structValue?.fields ?? {}), protoFieldNames('RequestMetadata'));
    assert.deepEqual(Object.keys(extAuthzMetadata(facts, '{"id":"u"}').fields ?? {}), protoFieldNames('ExtAuthzDynamicMetadata'));
    assert.equal(EXT_AUTHZ_NAMESPACE, 'envoy.filters.http.ext_authz');
  });

  it('the JSON mapping round-trips through the wire: Struct, Timestamp, int64, enums, maps, optional', () => {
    const server: JsonObject = {
      name: 'files',
      origin: { source: 'CONFIG_SOURCE_API', ref: 'api', version: 'v7' },
      spec: { name: 'files', match: { hosts: ['mcp.test'], pathPrefix: '/mcp' }, weight: 1.5, on: true, nothing: null, list: [1, 'a', { b: [] }] },
    };
    assert.deepEqual(wireRoundTrip('mcpgw.v1.Server', server), server);
    const pods: JsonObject = {
      servers: [{ server: 'files', endpointsKnown: true, pods: [{ host: '10.0.0.1:8080', ready: true, draining: true, drainingSince: '2026-12-03T13:00:00.250Z', drainSource: 'DRAIN_SOURCE_ADMIN', liveSessions: '9007199254740993' }] }],
    };
    assert.deepEqual(wireRoundTrip('mcpgw.v1.ListPodsResponse', pods), pods);
    const quota: JsonObject = { tenant: 'acme', limits: { rpm: '100', big: '9223372036854775807' }, resetLimits: ['daily'] };
    assert.deepEqual(wireRoundTrip('mcpgw.v1.SetTenantQuotaRequest', quota), quota);
    const usage: JsonObject = { tenant: 'acme', limits: [{ name: 'rpm', kind: 'rate', per: ['tenant'], configured: '10', effective: '10', used: '0', remaining: '10' }] };
    // An optional field set to 0 stays present: used "0" is not the same as "not counted per tenant".
    assert.deepEqual(wireRoundTrip('mcpgw.v1.TenantQuota', usage), usage);
  });

  it('JSON input accepts what the mapping allows: proto names, int64 as numbers, enum numbers', () => {
    assert.deepEqual(json.toJson('mcpgw.v1.ListSessionsRequest', json.fromJson('mcpgw.v1.ListSessionsRequest', { page_size: '20', page_token: 't' })), { pageSize: 20, pageToken: 't' });
    assert.deepEqual(json.toJson('mcpgw.v1.SetTenantQuotaRequest', json.fromJson('mcpgw.v1.SetTenantQuotaRequest', { tenant: 'a', limits: { rpm: 5 } })), { tenant: 'a', limits: { rpm: '5' } });
    assert.deepEqual(json.toJson('mcpgw.v1.ConfigOrigin', json.fromJson('mcpgw.v1.ConfigOrigin', { source: 3 })), { source: 'CONFIG_SOURCE_API' });
    assert.equal(timestampJson(Date.UTC(2026, 0, 2, 3, 4, 5, 60)), '2026-01-02T03:04:05.060Z');
  });

  it('JSON input that does not fit names the field', () => {
    const bad: Array<[string, unknown, string]> = [
      ['mcpgw.v1.ListSessionsRequest', { pageSize: 'ten' }, 'page_size'],
      ['mcpgw.v1.ListSessionsRequest', { page_size: 2 ** 40 }, 'page_size'],
      ['mcpgw.v1.ListSessionsRequest', { colour: 'red' }, 'colour'],
      ['mcpgw.v1.SetTenantQuotaRequest', { limits: { rpm: 'lots' } }, 'limits["rpm"]'],
      ['mcpgw.v1.SetTenantQuotaRequest', { resetLimits: 'rpm' }, 'reset_limits'],
      ['mcpgw.v1.ConfigOrigin', { source: 'CONFIG_SOURCE_GUESS' }, 'source'],
      ['mcpgw.v1.ApplyServerRequest', { spec: [1] }, 'spec'],
      ['mcpgw.v1.PodDrain', { drainingSince: 'yesterday' }, 'draining_since'],
      ['mcpgw.v1.ApplyServerRequest', { name: 'a', spec: { x: { y: 1 } }, name_: 1 }, 'name_'],
    ];
    for (const [type, value, field] of bad) {
      assert.throws(() => json.fromJson(type, value), (e: unknown) => e instanceof JsonInputError && e.field === field, `${JSON.stringify(value)} → ${field}`);
    }
  });

  it('hostile nesting is refused by depth, not by the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    assert.throws(() => json.fromJson('mcpgw.v1.ApplyServerRequest', { spec: deep }), (e: unknown) => e instanceof JsonInputError && /nested too deeply/.test(e.message));
  });
});
