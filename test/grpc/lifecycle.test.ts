import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { describe, it } from 'node:test';
import { headerMap, postHeaders, startGateway } from './harness.js';

describe('service lifecycle', () => {
  it('grpc health answers SERVING, /healthz and /readyz are 200 while running', async () => {
    const gw = await startGateway();
    try {
      const healthDef = (await import('grpc-health-check')).service;
      const Client = grpc.makeGenericClientConstructor(healthDef, 'Health');
      const client = new Client(gw.grpcTarget, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
        Check(req: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void;
      };
      for (const service of ['', 'envoy.service.ext_proc.v3.ExternalProcessor', 'envoy.service.auth.v3.Authorization']) {
        const r = await new Promise<{ status: string }>((res, rej) => client.Check({ service }, (e, v) => (e ? rej(e) : res(v))));
        assert.equal(r.status, 'SERVING', service);
      }
      client.close();
      assert.equal((await fetch(`${gw.httpBase}/healthz`)).status, 200);
      assert.equal((await fetch(`${gw.httpBase}/readyz`)).status, 200);
    } finally {
      await gw.close();
    }
  });

  it('on shutdown readiness goes false at once and an in-flight stream still finishes', async () => {
    const gw = await startGateway();
    const s = gw.openStream();
    await s.send({ request_headers: { headers: headerMap(postHeaders()), end_of_stream: false } });
    const closing = gw.service.close();
    const ready = await fetch(`${gw.httpBase}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /shutting down/);
    const reply = await s.send({ request_body: { body: Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}'), end_of_stream: true } });
    assert.equal(reply.response, 'request_body');
    await s.end();
    await closing;
    await gw.close();
  });
});
