// DPoP end to end through envoy-sim, one row per mesh: with ext_proc alone, the headers phase
// verifies the proof and the body phase reuses that caller; with ext_authz in front, ext_proc reuses
// ext_authz's verified principal. Either way one proof is checked once, so a request is never
// refused as a replay of its own proof, and a proof sent again is.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { parseConfig } from '../../src/config/index.js';
import { freePort, rawPost } from '../fixtures/index.js';
import { Clock, TestIssuer, signingKey, type SigningKey } from '../identity/issuer.js';
import { jsonRpcOf } from './limitsSupport.js';
import { startStack, type Stack } from './stack.js';

const MESHES = [
  { name: 'ext_proc only', extAuthz: false },
  { name: 'ext_authz and ext_proc', extAuthz: true },
];

const rpc = (method: string, params: Record<string, unknown>, id: number) => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const INITIALIZE = rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'dpop', version: '0' } }, 1);
const WHOAMI = rpc('tools/call', { name: 'whoami', arguments: {} }, 2);

for (const mesh of MESHES) {
  describe(`DPoP through ${mesh.name}`, () => {
    const clock = new Clock(Date.now());
    let issuer: TestIssuer;
    let key: SigningKey;
    let stack: Stack;
    let resource: string;
    let client: { privateKey: CryptoKey; jwk: JWK; jkt: string };

    before(async () => {
      key = await signingKey('RS256', 'k1');
      issuer = await TestIssuer.start(clock, [key]);
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const jwk = await exportJWK(publicKey);
      client = { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
      const port = await freePort();
      resource = `http://127.0.0.1:${port}/mcp`;
      const config = parseConfig(
        JSON.stringify({
          listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
          shutdown: { graceSeconds: 1 },
          identity: { issuers: [issuer.issuerOptions({ dpop: 'required' })] },
          servers: [{ name: 'demo', match: { hosts: ['127.0.0.1'], pathPrefix: '/mcp' }, auth: { resource } }],
        }),
      );
      if (!config.ok) throw new Error(config.problems.join('\n'));
      stack = await startStack({ config: config.config, simPort: port, pods: [{ name: 'pod-a' }], extAuthz: mesh.extAuthz, extProc: true });
    });
    after(async () => {
      await stack.close();
      await issuer.stop();
    });

    const token = () => issuer.sign(key, { aud: resource, cnf: { jkt: client.jkt } });
    const proof = (accessToken: string) =>
      new SignJWT({ htm: 'POST', htu: resource, iat: clock.seconds, jti: randomUUID(), ath: createHash('sha256').update(accessToken, 'ascii').digest('base64url') })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: client.jwk })
        .sign(client.privateKey);
    const post = (body: string, accessToken: string, dpop: string, extra: Record<string, string> = {}) =>
      rawPost(stack.url, body, {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        authorization: `DPoP ${accessToken}`,
        dpop,
        ...extra,
      });

    it('a session starts and a tool answers, one fresh proof per request', async () => {
      const t = await token();
      const init = await post(INITIALIZE, t, await proof(t));
      assert.equal(init.status, 200, init.body);
      const session = init.headers['mcp-session-id'] as string;
      assert.ok(session, 'the server issued a session');
      const call = await post(WHOAMI, t, await proof(t), { 'mcp-session-id': session });
      assert.equal(call.status, 200, call.body);
      assert.equal(jsonRpcOf(call.body).id, 2);
    });

    it('a proof sent a second time is refused as a replay', async () => {
      const t = await token();
      const once = await proof(t);
      assert.equal((await post(INITIALIZE, t, once)).status, 200);
      const again = await post(INITIALIZE, t, once);
      assert.equal(again.status, 401);
      assert.match(String(again.headers['www-authenticate']), /^DPoP /);
    });
  });
}
