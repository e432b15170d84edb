// Who may call the control API on the gRPC port: the admin token, or (with listen.grpcTls) a client
// certificate naming one of admin.identities. Envoy's certificate opens ext_authz / ext_proc, not the
// control API; an admin's certificate opens the control API, not ext_authz.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadEnvoyServices, type CheckRequest, type CheckResponse } from '../../src/envoy/index.js';
import { GatewayService } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { testConfig } from '../grpc/harness.js';
import { TestCerts } from '../support/certs.js';
import { grpcControl, httpControl } from './clients.js';

const TOKEN = 'control-test-token';
const certs = new TestCerts();
after(() => certs.remove());
certs.makeCa('ca');
certs.makeCert('server', 'ca', 'DNS:localhost,IP:127.0.0.1');
certs.makeCert('envoy', 'ca', 'URI:spiffe://test/envoy');
certs.makeCert('admin', 'ca', 'URI:spiffe://test/ns/ops/sa/admin');
certs.makeCert('other', 'ca', 'URI:spiffe://test/other');

const withCert = (name: string) => grpc.credentials.createSsl(certs.read('ca.crt'), certs.read(`${name}.key`), certs.read(`${name}.crt`));
const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));
const CHECK: CheckRequest = { attributes: { request: { http: { method: 'GET', path: '/mcp', host: 'mcp.test', headers: { ':method': 'GET', ':path': '/mcp', ':authority': 'mcp.test' } } } } };

async function check(target: string, credentials: grpc.ChannelCredentials): Promise<number> {
  const client = new (loadEnvoyServices().authorization)(target, credentials) as unknown as grpc.Client & { Check(r: CheckRequest, cb: (e: grpc.ServiceError | null, r: CheckResponse) => void): void };
  try {
    return await new Promise((resolve) => client.Check(CHECK, (err) => resolve(err ? err.code : grpc.status.OK)));
  } finally {
    client.close();
  }
}

const codeOf = (r: Awaited<ReturnType<typeof grpcControl>>) => (r.ok ? grpc.status.OK : r.code);

describe('control API callers with gRPC TLS', () => {
  let service: GatewayService;
  let target: string;
  before(async () => {
    service = new GatewayService(
      testConfig({
        listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0', grpcTls: { certFile: certs.path('server.crt'), keyFile: certs.path('server.key'), clientCaFile: certs.path('ca.crt'), allowedClients: ['spiffe://test/envoy'] } },
        admin: { tokenSha256: createHash('sha256').update(TOKEN).digest('hex'), identities: ['spiffe://test/ns/ops/sa/admin'] },
      }),
      quiet(),
    );
    target = (await service.serve()).grpc.replace('127.0.0.1', 'localhost');
  });
  after(() => service.close());

  it('an admin identity needs no token; Envoy and other certificates get PERMISSION_DENIED unless they bring the token', async () => {
    assert.equal(codeOf(await grpcControl(target, 'ListPods', {}, { credentials: withCert('admin') })), grpc.status.OK);
    assert.equal(codeOf(await grpcControl(target, 'ListPods', {}, { credentials: withCert('envoy') })), grpc.status.PERMISSION_DENIED);
    assert.equal(codeOf(await grpcControl(target, 'ListPods', {}, { credentials: withCert('other') })), grpc.status.PERMISSION_DENIED);
    assert.equal(codeOf(await grpcControl(target, 'ListPods', {}, { credentials: withCert('envoy'), token: 'wrong' })), grpc.status.UNAUTHENTICATED);
    assert.equal(codeOf(await grpcControl(target, 'ListPods', {}, { credentials: withCert('other'), token: TOKEN })), grpc.status.OK);
  });

  it('listen.grpcTls.allowedClients still guards ext_authz: the admin identity cannot call Check, Envoy can', async () => {
    assert.equal(await check(target, withCert('envoy')), grpc.status.OK);
    assert.equal(await check(target, withCert('admin')), grpc.status.PERMISSION_DENIED);
  });
});

describe('control API with no admin credential configured', () => {
  let service: GatewayService;
  let addresses: { grpc: string; http: string };
  before(async () => {
    delete process.env.MCPGW_ADMIN_TOKEN;
    service = new GatewayService(testConfig(), quiet());
    addresses = await service.serve();
  });
  after(() => service.close());

  it('is disabled: gRPC UNIMPLEMENTED, HTTP 501, /admin 404', async () => {
    const g = await grpcControl(addresses.grpc, 'ListPods', {}, { token: 'anything' });
    assert.ok(!g.ok && g.code === grpc.status.UNIMPLEMENTED && /disabled/.test(g.details));
    assert.equal((await httpControl(`http://${addresses.http}`, 'GET', '/v1/pods', { token: 'anything' })).status, 501);
    assert.equal((await fetch(`http://${addresses.http}/admin/pods`)).status, 404);
  });
});
