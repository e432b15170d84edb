// The control API against a running mcpgw (real SDK pods behind envoy-sim): every method over gRPC and
// over HTTP /v1, with and without the admin credential; bad input gets the right status and names the
// field; /admin/* shows what the control API changed.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ControlMethodName, JsonObject } from '../../src/control/index.js';
import { connectClient, rawPost } from '../fixtures/index.js';
import { ADMIN_TOKEN, AFFINITY, pinningConfig, podOf } from '../e2e/pinning.js';
import { startStack, type Stack } from '../e2e/stack.js';
import { TestCatalog } from './catalog.js';
import { grpcControl, httpControl, violatedFields } from './clients.js';

const LIMITS = [{ name: 'acme-quota', per: ['tenant'], match: { tenants: ['acme'] }, quota: { requests: 100, window: 'day' } }];
const EXTRA = { name: 'extra', match: { hosts: ['extra.test'], pathPrefix: '/mcp' }, tools: { allow: ['echo'] } };

/** One valid request per method, over gRPC and over HTTP. */
function calls(pod: string): Array<{ rpc: ControlMethodName; request: JsonObject; http: [string, string, unknown?]; found?: false }> {
  return [
    { rpc: 'ListServers', request: {}, http: ['GET', '/v1/servers'] },
    { rpc: 'GetServer', request: { name: 'demo' }, http: ['GET', '/v1/servers/demo'] },
    { rpc: 'ApplyServer', request: { name: 'extra', spec: EXTRA }, http: ['PUT', '/v1/servers/extra', EXTRA] },
    { rpc: 'DeleteServer', request: { name: 'extra' }, http: ['DELETE', '/v1/servers/extra'] },
    { rpc: 'ListPods', request: {}, http: ['GET', '/v1/pods'] },
    { rpc: 'DrainPod', request: { pod }, http: ['POST', `/v1/pods/${pod}:drain`] },
    { rpc: 'UndrainPod', request: { pod }, http: ['POST', `/v1/pods/${pod}:undrain`] },
    { rpc: 'ListSessions', request: { pageSize: 10 }, http: ['GET', '/v1/sessions?page_size=10'] },
    // No session yet: with the token the answer is NOT_FOUND, past the credential check.
    { rpc: 'EndSession', request: { id: 'no-such-session' }, http: ['DELETE', '/v1/sessions/no-such-session'], found: false },
    { rpc: 'GetTenantQuota', request: { tenant: 'acme' }, http: ['GET', '/v1/tenants/acme/quota'] },
    { rpc: 'SetTenantQuota', request: { tenant: 'acme', limits: { 'acme-quota': '50' } }, http: ['PUT', '/v1/tenants/acme/quota', { limits: { 'acme-quota': 50 } }] },
    { rpc: 'GetConfigVersion', request: {}, http: ['GET', '/v1/config/version'] },
  ];
}

describe('the control API on a running mcpgw', () => {
  let stack: Stack;
  let grpcTarget: string;
  const catalog = new TestCatalog();
  before(async () => {
    stack = await startStack({ configFor: (pods) => {
      const config = pinningConfig(pods, { top: { limits: LIMITS } });
      catalog.load(config);
      return config;
    }, cluster: { lb: 'ring_hash', hashHeader: AFFINITY }, service: { catalog } });
    grpcTarget = stack.grpcTarget;
  });
  after(() => stack.close());

  it('every method: refused without the admin token or with a wrong one (gRPC UNAUTHENTICATED, HTTP 401), answered with it', async () => {
    const pod = stack.pods[0]?.hostKey as string;
    for (const c of calls(pod)) {
      for (const token of [undefined, 'wrong']) {
        const g = await grpcControl(grpcTarget, c.rpc, c.request, token ? { token } : {});
        assert.ok(!g.ok && g.code === grpc.status.UNAUTHENTICATED, `gRPC ${c.rpc} with ${token ?? 'no'} token: ${JSON.stringify(g)}`);
        const [method, path, body] = c.http;
        const h = await httpControl(stack.httpBase, method, path, { ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}) });
        assert.equal(h.status, 401, `HTTP ${method} ${path} with ${token ?? 'no'} token`);
        assert.equal(h.headers.get('www-authenticate'), 'Bearer realm="mcpgw-admin"');
        assert.equal((h.body.error as JsonObject).status, 'UNAUTHENTICATED');
      }
      const g = await grpcControl(grpcTarget, c.rpc, c.request, { token: ADMIN_TOKEN });
      assert.ok(c.found === false ? !g.ok && g.code === grpc.status.NOT_FOUND : g.ok, `gRPC ${c.rpc}: ${JSON.stringify(g)}`);
      if (c.rpc === 'DeleteServer') await catalog.applyServer(EXTRA);
      const [method, path, body] = c.http;
      const h = await httpControl(stack.httpBase, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });
      assert.equal(h.status, c.found === false ? 404 : 200, `HTTP ${method} ${path}: ${JSON.stringify(h.body)}`);
      // Both views answer in the same proto3 JSON (servers listed from the same catalog, say).
      if (g.ok && (c.rpc === 'GetServer' || c.rpc === 'GetConfigVersion')) assert.deepEqual(h.body, g.body);
    }
  });

  it('servers: apply over HTTP, read over gRPC, see the origin and version, delete; file servers stay', async () => {
    const put = await httpControl(stack.httpBase, 'PUT', '/v1/servers/extra', { token: ADMIN_TOKEN, body: EXTRA });
    assert.equal(put.status, 200);
    const origin = put.body.origin as JsonObject;
    assert.equal(origin.source, 'CONFIG_SOURCE_API');
    const got = await grpcControl(grpcTarget, 'GetServer', { name: 'extra' }, { token: ADMIN_TOKEN });
    assert.ok(got.ok);
    assert.deepEqual((got.body.spec as JsonObject).match, { hosts: ['extra.test'], pathPrefix: '/mcp' });
    const version = await grpcControl(grpcTarget, 'GetConfigVersion', {}, { token: ADMIN_TOKEN });
    assert.ok(version.ok);
    assert.equal(version.body.version, origin.version);
    const items = version.body.items as JsonObject[];
    assert.deepEqual(items.map((i) => [i.name, (i.origin as JsonObject).source]).sort(), [['demo', 'CONFIG_SOURCE_FILE'], ['extra', 'CONFIG_SOURCE_API']]);
    const del = await grpcControl(grpcTarget, 'DeleteServer', { name: 'extra' }, { token: ADMIN_TOKEN });
    assert.ok(del.ok);
    assert.equal((await httpControl(stack.httpBase, 'GET', '/v1/servers/extra', { token: ADMIN_TOKEN })).status, 404);
  });

  it('sessions: a live SDK session is listed (paged), ended over HTTP, and its next request gets 404', async () => {
    const clients = await Promise.all([0, 1, 2].map(() => connectClient(stack.url)));
    const ids = clients.map((c) => c.transport.sessionId as string);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await grpcControl(grpcTarget, 'ListSessions', { server: 'demo', pageSize: 1, ...(token ? { pageToken: token } : {}) }, { token: ADMIN_TOKEN });
      assert.ok(page.ok);
      const sessions = (page.body.sessions ?? []) as JsonObject[];
      assert.ok(sessions.length <= 1);
      for (const s of sessions) {
        seen.push(String(s.id));
        assert.equal(s.kind, 'SESSION_KIND_STREAMABLE');
        assert.match(String(s.createTime), /^\d{4}-\d\d-\d\dT/);
      }
      token = page.body.nextPageToken as string | undefined;
    } while (token);
    for (const id of ids) assert.ok(seen.includes(id), `session ${id} listed`);

    const home = (await podOf(clients[0]?.client as never)).pod;
    const host = stack.pods.find((p) => p.name === home)?.hostKey as string;
    const onPod = await httpControl(stack.httpBase, 'GET', `/v1/sessions?pod=${encodeURIComponent(host)}&pageSize=500`, { token: ADMIN_TOKEN });
    assert.ok(((onPod.body.sessions ?? []) as JsonObject[]).every((s) => s.pod === host));

    const ended = await httpControl(stack.httpBase, 'DELETE', `/v1/sessions/${encodeURIComponent(ids[0] as string)}`, { token: ADMIN_TOKEN });
    assert.equal(ended.status, 200);
    assert.equal(ended.body.id, ids[0]);
    const next = await rawPost(stack.url, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }), {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': ids[0] as string,
      'mcp-protocol-version': '2025-11-25',
    });
    assert.equal(next.status, 404, 'the ended session is gone for its client');
    assert.equal((await grpcControl(grpcTarget, 'EndSession', { id: ids[0] as string }, { token: ADMIN_TOKEN }).then((r) => (r.ok ? 0 : r.code))), grpc.status.NOT_FOUND);
    await Promise.all(clients.map((c) => c.client.close()));
  });

  it('pods and quotas: what the control API changes, /admin/* shows (it is a view of the same service)', async () => {
    const pod = stack.pods[1]?.hostKey as string;
    const drained = await grpcControl(grpcTarget, 'DrainPod', { pod }, { token: ADMIN_TOKEN });
    assert.ok(drained.ok && drained.body.draining === true && typeof drained.body.drainingSince === 'string');
    const pods = await httpControl(stack.httpBase, 'GET', '/v1/pods?server=demo', { token: ADMIN_TOKEN });
    const listed = (((pods.body.servers as JsonObject[])[0]?.pods ?? []) as JsonObject[]).find((p) => p.host === pod);
    assert.equal(listed?.drainSource, 'DRAIN_SOURCE_ADMIN');
    assert.equal((pods.body.servers as JsonObject[])[0]?.endpointsKnown, true);
    const admin = (await (await fetch(`${stack.httpBase}/admin/pods`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { servers: Array<{ pods: Array<{ host: string; drainingSince?: number; drainSource?: string }> }> };
    const legacy = admin.servers[0]?.pods.find((p) => p.host === pod);
    assert.equal(legacy?.drainSource, 'admin');
    assert.equal(new Date(legacy?.drainingSince as number).toISOString(), listed?.drainingSince);
    assert.ok((await grpcControl(grpcTarget, 'UndrainPod', { pod }, { token: ADMIN_TOKEN })).ok);

    const set = await grpcControl(grpcTarget, 'SetTenantQuota', { tenant: 'acme', limits: { 'acme-quota': '7' } }, { token: ADMIN_TOKEN });
    assert.ok(set.ok);
    assert.equal(((set.body.limits as JsonObject[])[0] as JsonObject).effective, '7');
    const viaAdmin = (await (await fetch(`${stack.httpBase}/admin/tenants/acme/quota`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { limits: Array<{ override?: number }> };
    assert.equal(viaAdmin.limits[0]?.override, 7);
    const reset = await httpControl(stack.httpBase, 'PUT', '/v1/tenants/acme/quota', { token: ADMIN_TOKEN, body: { reset_limits: ['acme-quota'] } });
    assert.equal(((reset.body.limits as JsonObject[])[0] as JsonObject).override, undefined);
  });

  it('bad input: the right gRPC and HTTP status, and the field named', async () => {
    const bad: Array<{ rpc: ControlMethodName; request: JsonObject; http: [string, string, unknown?]; code: grpc.status; status: number; field: string }> = [
      { rpc: 'GetServer', request: { name: 'nope' }, http: ['GET', '/v1/servers/nope'], code: grpc.status.NOT_FOUND, status: 404, field: 'name' },
      { rpc: 'ApplyServer', request: { name: 'x', spec: { ...EXTRA, name: 'y' } }, http: ['PUT', '/v1/servers/x', { ...EXTRA, name: 'y' }], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'spec.name' },
      { rpc: 'ApplyServer', request: { name: 'x', spec: { match: { hosts: [3] } } }, http: ['PUT', '/v1/servers/x', { match: { hosts: [3] } }], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'spec.match.hosts.0' },
      { rpc: 'ApplyServer', request: { name: 'x', spec: {} }, http: ['PUT', '/v1/servers/x', {}], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'spec.match' },
      { rpc: 'DeleteServer', request: { name: 'demo' }, http: ['DELETE', '/v1/servers/demo'], code: grpc.status.FAILED_PRECONDITION, status: 400, field: 'name' },
      { rpc: 'DeleteServer', request: { name: 'nope' }, http: ['DELETE', '/v1/servers/nope'], code: grpc.status.NOT_FOUND, status: 404, field: 'name' },
      { rpc: 'ListPods', request: { server: 'nope' }, http: ['GET', '/v1/pods?server=nope'], code: grpc.status.NOT_FOUND, status: 404, field: 'server' },
      { rpc: 'DrainPod', request: { pod: 'not-a-pod' }, http: ['POST', '/v1/pods/not-a-pod:drain'], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'pod' },
      { rpc: 'ListSessions', request: { pageSize: -1 }, http: ['GET', '/v1/sessions?page_size=-1'], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'page_size' },
      { rpc: 'ListSessions', request: { pageToken: 'garbage' }, http: ['GET', '/v1/sessions?page_token=garbage'], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'page_token' },
      { rpc: 'ListSessions', request: { server: 'x'.repeat(300) }, http: ['GET', `/v1/sessions?server=${'x'.repeat(300)}`], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'server' },
      { rpc: 'EndSession', request: { id: 'no-such-session' }, http: ['DELETE', '/v1/sessions/no-such-session'], code: grpc.status.NOT_FOUND, status: 404, field: 'id' },
      { rpc: 'EndSession', request: { id: 'bad id' }, http: ['DELETE', '/v1/sessions/bad%20id'], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'id' },
      { rpc: 'GetTenantQuota', request: { tenant: 't'.repeat(300) }, http: ['GET', `/v1/tenants/${'t'.repeat(300)}/quota`], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'tenant' },
      { rpc: 'SetTenantQuota', request: { tenant: 'acme', limits: { 'no-such-limit': '5' } }, http: ['PUT', '/v1/tenants/acme/quota', { limits: { 'no-such-limit': 5 } }], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'limits' },
      { rpc: 'SetTenantQuota', request: { tenant: 'acme', limits: { 'acme-quota': '-1' } }, http: ['PUT', '/v1/tenants/acme/quota', { limits: { 'acme-quota': -1 } }], code: grpc.status.INVALID_ARGUMENT, status: 400, field: 'limits' },
    ];
    for (const b of bad) {
      const g = await grpcControl(grpcTarget, b.rpc, b.request, { token: ADMIN_TOKEN });
      assert.ok(!g.ok, `${b.rpc} ${JSON.stringify(b.request)} refused`);
      assert.equal(g.code, b.code, `${b.rpc}: ${g.details}`);
      assert.ok(g.details.includes(b.field) || b.code === grpc.status.NOT_FOUND, `${b.rpc}: "${g.details}" names ${b.field}`);
      const [method, path, body] = b.http;
      const h = await httpControl(stack.httpBase, method, path, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });
      assert.equal(h.status, b.status, `${method} ${path}: ${JSON.stringify(h.body)}`);
      assert.deepEqual(violatedFields(h.body).slice(0, 1), [b.field], `${method} ${path}: ${JSON.stringify(h.body)}`);
    }
  });

  it('HTTP only: unknown parameters, wrong types, bodies that are not JSON or too large, wrong methods, unknown routes', async () => {
    const t = { token: ADMIN_TOKEN };
    const cases: Array<[string, string, { body?: unknown; rawBody?: string }, number, string | undefined]> = [
      ['GET', '/v1/sessions?colour=red', {}, 400, 'colour'],
      ['GET', '/v1/sessions?page_size=ten', {}, 400, 'page_size'],
      ['PUT', '/v1/tenants/acme/quota', { body: { limits: { 'acme-quota': 'lots' } } }, 400, 'limits["acme-quota"]'],
      ['PUT', '/v1/tenants/acme/quota', { rawBody: '{not json' }, 400, 'body'],
      ['PUT', '/v1/servers/x', { rawBody: JSON.stringify({ ...EXTRA, name: 'x', pad: 'p'.repeat(600 * 1024) }) }, 400, 'body'],
      ['PUT', '/v1/tenants/acme/quota', { body: [1, 2] }, 400, 'body'],
    ];
    for (const [method, path, opts, status, field] of cases) {
      const h = await httpControl(stack.httpBase, method, path, { ...t, ...opts });
      assert.equal(h.status, status, `${method} ${path}: ${JSON.stringify(h.body)}`);
      if (field) assert.deepEqual(violatedFields(h.body), [field], `${method} ${path}: ${JSON.stringify(h.body)}`);
    }
    const wrongMethod = await httpControl(stack.httpBase, 'POST', '/v1/servers', t);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET');
    assert.equal((await httpControl(stack.httpBase, 'GET', '/v1/nothing', t)).status, 404);
  });
});
