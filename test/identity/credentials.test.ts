// Which credential a request presents: API keys, mesh identities, none at all, or several at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authenticator, apiKeyDigest, type AuthenticatorOptions } from '../../src/identity/index.js';
import { authenticator, bearer, Clock, RESOURCE, signingKey, silentLogger, TestIssuer } from './issuer.js';

const clock = new Clock();
const KEY = 'mk_live_7Qm2vX9tR4pL8sN1wZ6yB3cD5fG0hJ';
const ROTATED = 'mk_live_new_2b9e61c0d4a34f7e8a1b5c3d';
const SPIFFE = 'spiffe://cluster.local/ns/agents/sa/planner';
const base = { method: 'POST', url: RESOURCE, resource: RESOURCE };

const options: AuthenticatorOptions = {
  issuers: [],
  apiKeys: [
    { name: 'ci', sha256: apiKeyDigest(KEY), principal: 'ci-bot', tenant: 'acme', scopes: ['tools:call'] },
    { name: 'ci-next', sha256: apiKeyDigest(ROTATED).toUpperCase(), principal: 'ci-bot', tenant: 'acme', scopes: ['tools:call'] },
  ],
};
const auth = authenticator(clock, options);

test('the plain key never appears in options', () => {
  const text = JSON.stringify(options);
  assert.ok(!text.includes(KEY) && !text.includes(ROTATED));
});

test('the right API key maps to its principal, tenant and scopes; rotated keys share the principal', async () => {
  for (const apiKey of [KEY, ROTATED]) {
    const out = await auth.authenticate({ ...base, apiKey });
    assert.ok(out.ok && out.principal);
    assert.deepEqual(
      { id: out.principal.id, kind: out.principal.kind, tenant: out.principal.tenant, scopes: out.principal.scopes },
      { id: 'apikey:ci-bot', kind: 'apikey', tenant: 'acme', scopes: ['tools:call'] },
    );
  }
});

test('a wrong API key is 401 invalid_token unknown_api_key', async () => {
  const out = await auth.authenticate({ ...base, apiKey: `${KEY}x` });
  assert.ok(!out.ok);
  assert.deepEqual([out.status, out.error, out.reason], [401, 'invalid_token', 'unknown_api_key']);
});

test('API key digests must be hex SHA-256 and unique', () => {
  const make = (apiKeys: AuthenticatorOptions['apiKeys']) => new Authenticator({ issuers: [], apiKeys }, { logger: silentLogger() });
  assert.throws(() => make([{ name: 'a', sha256: KEY }]), /64 hex/);
  assert.throws(() => make([{ name: 'a', sha256: apiKeyDigest(KEY) }, { name: 'b', sha256: apiKeyDigest(KEY) }]), /twice/);
});

test('an API key header is ignored when no API keys are configured', async () => {
  const out = await authenticator(clock, { issuers: [] }).authenticate({ ...base, apiKey: KEY });
  assert.ok(!out.ok);
  assert.equal(out.reason, 'missing_token');
});

test('no credentials: 401 without an error code (RFC 6750 §3.1)', async () => {
  const out = await auth.authenticate(base);
  assert.ok(!out.ok);
  assert.deepEqual([out.status, out.error, out.reason, out.scheme], [401, undefined, 'missing_token', 'Bearer']);
  assert.ok(!('error' in out));
});

test('an Authorization scheme mcpgw does not speak counts as no credentials', async () => {
  const out = await auth.authenticate({ ...base, authorization: 'Basic YWxpY2U6cHc=' });
  assert.ok(!out.ok);
  assert.deepEqual([out.status, out.error, out.reason], [401, undefined, 'missing_token']);
});

test('anonymous is allowed only when asked for, and never for a bad credential', async () => {
  assert.deepEqual(await auth.authenticate({ ...base, allowAnonymous: true }), { ok: true });
  const bad = await auth.authenticate({ ...base, allowAnonymous: true, apiKey: 'nope' });
  assert.ok(!bad.ok);
  assert.equal(bad.reason, 'unknown_api_key');
});

test('a mesh identity alone yields a spiffe principal', async () => {
  const out = await auth.authenticate({ ...base, spiffeId: SPIFFE });
  assert.ok(out.ok && out.principal);
  assert.deepEqual(out.principal, { id: `spiffe:${SPIFFE}`, kind: 'spiffe', subject: SPIFFE, scopes: [], roles: [], groups: [], spiffeId: SPIFFE });
});

test('something that is not a SPIFFE id is not a mesh identity', async () => {
  const out = await auth.authenticate({ ...base, spiffeId: 'cluster.local/ns/agents/sa/planner' });
  assert.ok(!out.ok);
  assert.equal(out.reason, 'missing_token');
});

test('with a token or a key, the mesh identity is attached to that principal', async (t) => {
  const key = await signingKey('ES256', 'k');
  const idp = await TestIssuer.start(clock, [key]);
  t.after(() => idp.stop());
  const a = authenticator(clock, { ...options, issuers: [idp.issuerOptions()] });
  await a.start();
  const jwt = await a.authenticate({ ...bearer(await idp.sign(key)), spiffeId: SPIFFE });
  assert.ok(jwt.ok && jwt.principal);
  assert.deepEqual([jwt.principal.kind, jwt.principal.spiffeId], ['jwt', SPIFFE]);
  const byKey = await a.authenticate({ ...base, apiKey: KEY, spiffeId: SPIFFE });
  assert.ok(byKey.ok && byKey.principal);
  assert.deepEqual([byKey.principal.id, byKey.principal.spiffeId], ['apikey:ci-bot', SPIFFE]);
  await a.stop();
});

test('a token and an API key together are a malformed request (400)', async () => {
  const out = await auth.authenticate({ ...bearer('abc.def.ghi'), apiKey: KEY });
  assert.ok(!out.ok);
  assert.deepEqual([out.status, out.error, out.reason], [400, 'invalid_request', 'malformed_request']);
});

test('two Authorization values joined by Envoy are a malformed request', async () => {
  const out = await auth.authenticate({ ...base, authorization: 'Bearer abc.def.ghi,Bearer jkl.mno.pqr' });
  assert.ok(!out.ok);
  assert.equal(out.status, 400);
});
