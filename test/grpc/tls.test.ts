// listen.grpcTls: real gRPC over TLS with certificates made by openssl for this test. Only callers with
// a certificate the configured CA signed get an answer; allowedClients narrows them to named SANs.
import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadEnvoyServices, type CheckRequest, type CheckResponse } from '../../src/envoy/index.js';
import { GatewayService, subjectAltNames } from '../../src/server/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { TestCerts } from '../support/certs.js';
import { testConfig } from './harness.js';

const certs = new TestCerts();
const path = (name: string) => certs.path(name);
const read = (name: string) => certs.read(name);
after(() => certs.remove());

certs.makeCa('ca');
certs.makeCa('rogue-ca');
certs.makeCert('server', 'ca', 'DNS:localhost,IP:127.0.0.1');
certs.makeCert('envoy', 'ca', 'URI:spiffe://test/envoy,DNS:envoy.internal');
certs.makeCert('other', 'ca', 'URI:spiffe://test/other');
certs.makeCert('rogue', 'rogue-ca', 'URI:spiffe://test/envoy');

const CHECK: CheckRequest = { attributes: { request: { http: { method: 'GET', path: '/mcp', host: 'mcp.test', headers: { ':method': 'GET', ':path': '/mcp', ':authority': 'mcp.test' } } } } };

type AuthzClient = grpc.Client & { Check(req: CheckRequest, cb: (err: grpc.ServiceError | null, res: CheckResponse) => void): void };

async function checkWith(target: string, credentials: grpc.ChannelCredentials): Promise<{ ok: true; res: CheckResponse } | { ok: false; code: number }> {
  const services = loadEnvoyServices();
  const client = new services.authorization(target, credentials) as unknown as AuthzClient;
  try {
    return await new Promise((resolve) =>
      client.Check(CHECK, (err, res) => resolve(err ? { ok: false, code: err.code } : { ok: true, res })),
    );
  } finally {
    client.close();
  }
}

const withCert = (name: string) => grpc.credentials.createSsl(read('ca.crt'), read(`${name}.key`), read(`${name}.crt`));

async function start(allowedClients?: string[]): Promise<{ service: GatewayService; target: string }> {
  const config = testConfig({
    listen: {
      grpc: '127.0.0.1:0',
      http: '127.0.0.1:0',
      grpcTls: { certFile: path('server.crt'), keyFile: path('server.key'), clientCaFile: path('ca.crt'), ...(allowedClients ? { allowedClients } : {}) },
    },
  });
  const service = new GatewayService(config, createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() })));
  const addresses = await service.serve();
  return { service, target: addresses.grpc };
}

describe('gRPC listener with TLS and client certificates', () => {
  let gw: { service: GatewayService; target: string };
  before(async () => (gw = await start()));
  after(() => gw.service.close());

  it('a client certificate the CA signed is served', async () => {
    const r = await checkWith(gw.target, withCert('envoy'));
    assert.ok(r.ok, 'answered');
    assert.equal(r.res.status.code, 0);
  });

  it('a TLS client without a certificate is refused', async () => {
    const r = await checkWith(gw.target, grpc.credentials.createSsl(read('ca.crt')));
    assert.deepEqual(r, { ok: false, code: grpc.status.UNAVAILABLE });
  });

  it('a certificate from another CA is refused', async () => {
    const r = await checkWith(gw.target, withCert('rogue'));
    assert.deepEqual(r, { ok: false, code: grpc.status.UNAVAILABLE });
  });

  it('a plaintext client is refused', async () => {
    const r = await checkWith(gw.target, grpc.credentials.createInsecure());
    assert.deepEqual(r, { ok: false, code: grpc.status.UNAVAILABLE });
  });
});

describe('gRPC listener with allowedClients', () => {
  let gw: { service: GatewayService; target: string };
  before(async () => (gw = await start(['spiffe://test/envoy'])));
  after(() => gw.service.close());

  it('a signed certificate naming an allowed SAN is served', async () => {
    const r = await checkWith(gw.target, withCert('envoy'));
    assert.ok(r.ok && r.res.status.code === 0);
  });

  it('a signed certificate naming none of them gets PERMISSION_DENIED', async () => {
    assert.deepEqual(await checkWith(gw.target, withCert('other')), { ok: false, code: grpc.status.PERMISSION_DENIED });
  });
});

describe('subject alternative names', () => {
  it('reads every SAN, and a quoted value that embeds a separator stays one value', () => {
    assert.deepEqual(subjectAltNames({ subjectaltname: 'URI:spiffe://test/envoy, DNS:envoy.internal, IP Address:127.0.0.1' } as never), ['spiffe://test/envoy', 'envoy.internal', '127.0.0.1']);
    assert.deepEqual(subjectAltNames({ subjectaltname: 'DNS:"evil, URI:spiffe://test/envoy"' } as never), ['evil, URI:spiffe://test/envoy']);
    assert.deepEqual(subjectAltNames(undefined), []);
  });
});

describe('gRPC TLS configuration errors', () => {
  it('an unreadable certificate file stops start-up with a path: message line', async () => {
    const config = testConfig({ listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0', grpcTls: { certFile: path('missing.crt'), keyFile: path('server.key'), clientCaFile: path('ca.crt') } } });
    const service = new GatewayService(config, createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() })));
    await assert.rejects(service.serve(), /^Error: listen\.grpcTls\.certFile: cannot read ".*missing\.crt"/);
    await service.close();
  });
});
