// DPoP (RFC 9449): sender-constrained tokens, checked per request even when the token is cached.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { Authenticator, MemoryReplayCache, type AuthInput } from '../../src/identity/index.js';
import { authenticator, Clock, RESOURCE, signingKey, TestIssuer, type SigningKey } from './issuer.js';

const clock = new Clock();
let idp: TestIssuer;
let rsa: SigningKey;
let auth: Authenticator;
let client: { privateKey: CryptoKey; jwk: JWK; jkt: string };
const STRICT = () => `${idp.issuer}/strict`;

async function clientKey(): Promise<typeof client> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

before(async () => {
  rsa = await signingKey('RS256', 'rsa-1');
  idp = await TestIssuer.start(clock, [rsa]);
  client = await clientKey();
  auth = authenticator(
    clock,
    { issuers: [idp.issuerOptions({ dpop: 'optional' }), { ...idp.issuerOptions({ dpop: 'required' }), issuer: STRICT() }] },
    { replayCache: new MemoryReplayCache({ now: clock.now }) },
  );
  await auth.start();
});

after(async () => {
  await auth.stop();
  await idp.stop();
});

/** RFC 9449 §4.2 ath, computed independently of the code under test. */
function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

function boundToken(claims: JWTPayload = {}): Promise<string> {
  return idp.sign(rsa, { cnf: { jkt: client.jkt }, ...claims });
}

function proof(token: string, claims: JWTPayload = {}, opts: { key?: typeof client; typ?: string } = {}): Promise<string> {
  const key = opts.key ?? client;
  return new SignJWT({ htm: 'POST', htu: RESOURCE, iat: clock.seconds, jti: randomUUID(), ath: accessTokenHash(token), ...claims })
    .setProtectedHeader({ typ: opts.typ ?? 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .sign(key.privateKey);
}

function dpopRequest(token: string, dpop: string | undefined, extra: Partial<AuthInput> = {}): AuthInput {
  return { authorization: `DPoP ${token}`, ...(dpop !== undefined ? { dpop } : {}), method: 'POST', url: RESOURCE, resource: RESOURCE, ...extra };
}

/** The description pins which check fired, since several share the reason dpop_invalid. */
async function expectFailure(input: AuthInput, reason: string, error: string, description: RegExp): Promise<void> {
  const out = await auth.authenticate(input);
  assert.ok(!out.ok, 'expected a failure');
  assert.deepEqual({ status: out.status, reason: out.reason, error: out.error }, { status: 401, reason, error });
  assert.match(out.description, description);
}

describe('DPoP', () => {
  test('a valid proof authenticates; a query string on the request URL is ignored', async () => {
    const token = await boundToken();
    const out = await auth.authenticate(dpopRequest(token, await proof(token), { url: `${RESOURCE}?x=1` }));
    assert.ok(out.ok && out.principal);
    assert.equal(out.principal.subject, 'alice');
  });

  test('wrong htm', async () => {
    const token = await boundToken();
    await expectFailure(dpopRequest(token, await proof(token, { htm: 'GET' })), 'dpop_invalid', 'invalid_dpop_proof', /htm/);
  });

  test('wrong htu (other path, other host)', async () => {
    const token = await boundToken();
    await expectFailure(dpopRequest(token, await proof(token, { htu: 'https://mcp.example.com/other' })), 'dpop_invalid', 'invalid_dpop_proof', /htu/);
    await expectFailure(dpopRequest(token, await proof(token, { htu: 'https://evil.example.com/mcp' })), 'dpop_invalid', 'invalid_dpop_proof', /htu/);
  });

  test('a replayed jti is rejected, also when the token comes from the cache', async () => {
    const token = await boundToken();
    const p = await proof(token);
    assert.equal((await auth.authenticate(dpopRequest(token, p))).ok, true);
    const again = await auth.authenticate(dpopRequest(token, p));
    assert.ok(!again.ok);
    assert.deepEqual([again.reason, again.error, again.scheme], ['dpop_replay', 'invalid_dpop_proof', 'DPoP']);
  });

  test('missing ath', async () => {
    const token = await boundToken();
    await expectFailure(dpopRequest(token, await proof(token, { ath: undefined })), 'dpop_invalid', 'invalid_dpop_proof', /no ath/);
  });

  test('ath of another token', async () => {
    const token = await boundToken();
    await expectFailure(dpopRequest(token, await proof(token, { ath: accessTokenHash('other') })), 'dpop_invalid', 'invalid_dpop_proof', /ath does not match/);
  });

  test('a proof signed by another key than the token is bound to (wrong jkt)', async () => {
    const token = await boundToken();
    const thief = await clientKey();
    await expectFailure(dpopRequest(token, await proof(token, {}, { key: thief })), 'dpop_invalid', 'invalid_token', /key does not match/);
  });

  test('an old or future iat', async () => {
    const token = await boundToken();
    await expectFailure(dpopRequest(token, await proof(token, { iat: clock.seconds - 120 })), 'dpop_invalid', 'invalid_dpop_proof', /iat/);
    await expectFailure(dpopRequest(token, await proof(token, { iat: clock.seconds + 120 })), 'dpop_invalid', 'invalid_dpop_proof', /iat/);
  });

  test('wrong typ', async () => {
    const token = await boundToken();
    await expectFailure(dpopRequest(token, await proof(token, {}, { typ: 'JWT' })), 'dpop_invalid', 'invalid_dpop_proof', /typ/);
  });

  test('DPoP scheme without a proof', async () => {
    await expectFailure(dpopRequest(await boundToken(), undefined), 'dpop_invalid', 'invalid_dpop_proof', /proof missing/);
  });

  test('an unbound token presented with a proof', async () => {
    const token = await idp.sign(rsa);
    await expectFailure(dpopRequest(token, await proof(token)), 'dpop_invalid', 'invalid_token', /not bound/);
  });

  test('a bound token downgraded to Bearer is rejected', async () => {
    await expectFailure({ authorization: `Bearer ${await boundToken()}`, method: 'POST', url: RESOURCE, resource: RESOURCE }, 'dpop_required', 'invalid_token', /bound to a DPoP key/);
  });

  test('required: a Bearer token without DPoP is rejected with a DPoP challenge', async () => {
    const token = await idp.sign(rsa, { iss: STRICT() });
    const out = await auth.authenticate({ authorization: `Bearer ${token}`, method: 'POST', url: RESOURCE, resource: RESOURCE });
    assert.ok(!out.ok);
    assert.deepEqual([out.status, out.reason, out.scheme], [401, 'dpop_required', 'DPoP']);
  });

  test('required: a bound token with a valid proof is accepted', async () => {
    const token = await boundToken({ iss: STRICT() });
    assert.equal((await auth.authenticate(dpopRequest(token, await proof(token)))).ok, true);
  });

  test('off: the DPoP scheme is refused', async (t) => {
    const plain = authenticator(clock, { issuers: [idp.issuerOptions()] });
    await plain.start();
    t.after(() => plain.stop());
    const token = await boundToken();
    const out = await plain.authenticate(dpopRequest(token, await proof(token)));
    assert.ok(!out.ok);
    assert.equal(out.reason, 'dpop_invalid');
  });
});
