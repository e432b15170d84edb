// The body sizes config allows are the sizes that pass: an 8 MiB body with maxBodyBytes 8 MiB goes
// through ext_authz (with the body) and ext_proc (BUFFERED) over real gRPC, past grpc-js's 4 MiB
// default; a body over the cap gets 413 with a JSON-RPC error from both hooks, never a gRPC error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpStatusNumber } from '../../src/envoy/index.js';
import { headerMap, postHeaders, startGateway, testConfig, type RunningGateway } from './harness.js';

const MiB = 1024 * 1024;

/** A valid tools/call of exactly `size` bytes. */
function bodyOf(size: number): Buffer {
  const shell = (pad: string) => JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'tools/call', params: { name: 'echo', arguments: { blob: pad } } });
  const body = shell('x'.repeat(size - shell('').length));
  assert.equal(body.length, size);
  return Buffer.from(body);
}

async function viaExtAuthz(gw: RunningGateway, body: Buffer): Promise<{ status: number; code?: number }> {
  const headers = { ...postHeaders(), 'content-length': String(body.length), 'x-envoy-auth-partial-body': 'false' };
  const r = await gw.check({ attributes: { request: { http: { method: 'POST', path: '/mcp', host: 'mcp.test', headers, raw_body: body } } } });
  if (r.status.code === 0) return { status: 200 };
  return { status: httpStatusNumber(r.denied_response?.status?.code) ?? 0, code: JSON.parse(r.denied_response?.body ?? '{}').error?.code };
}

async function viaExtProc(gw: RunningGateway, body: Buffer): Promise<{ status: number; code?: number }> {
  const s = gw.openStream();
  try {
    // No content-length (HTTP/2): the body's own size is what counts.
    const h = await s.send({ request_headers: { headers: headerMap(postHeaders()), end_of_stream: false } });
    assert.equal(h.response, 'request_headers');
    const r = await s.send({ request_body: { body, end_of_stream: true } });
    if (r.response === 'request_body') return { status: 200 };
    return { status: httpStatusNumber(r.immediate_response?.status.code) ?? 0, code: JSON.parse(Buffer.from(r.immediate_response?.body ?? []).toString()).error?.code };
  } finally {
    await s.end();
  }
}

describe('request sizes: maxBodyBytes 8 MiB', () => {
  let gw: RunningGateway;
  before(async () => (gw = await startGateway(testConfig({ requests: { maxBodyBytes: 8 * MiB, maxStringBytes: 8 * MiB } }))));
  after(() => gw.close());

  it('an 8 MiB body passes ext_authz (with the body) and ext_proc (BUFFERED)', async () => {
    const body = bodyOf(8 * MiB);
    assert.deepEqual(await viaExtAuthz(gw, body), { status: 200 });
    assert.deepEqual(await viaExtProc(gw, body), { status: 200 });
  });

  it('one byte over the cap is 413 with JSON-RPC -31413 from both hooks', async () => {
    const body = bodyOf(8 * MiB + 1);
    assert.deepEqual(await viaExtAuthz(gw, body), { status: 413, code: -31413 });
    assert.deepEqual(await viaExtProc(gw, body), { status: 413, code: -31413 });
  });
});

describe('request sizes: the default 1 MiB cap', () => {
  let gw: RunningGateway;
  before(async () => (gw = await startGateway()));
  after(() => gw.close());

  it('a body twice the cap still gets 413 with a JSON-RPC error, not a gRPC error', async () => {
    const body = bodyOf(2 * MiB);
    assert.deepEqual(await viaExtAuthz(gw, body), { status: 413, code: -31413 });
    assert.deepEqual(await viaExtProc(gw, body), { status: 413, code: -31413 });
  });
});
