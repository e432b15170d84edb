// Key sets over time: rotation without restart, the unknown-kid cool-down, outages, no keys at all,
// and keys from a local file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticator, bearer, Clock, signingKey, TestIssuer } from './issuer.js';

test('a rotated key is picked up without restart, and unknown kids refetch at most once per cool-down', async (t) => {
  const clock = new Clock();
  const k1 = await signingKey('RS256', 'k1');
  const idp = await TestIssuer.start(clock, [k1]);
  t.after(() => idp.stop());
  const auth = authenticator(clock, { issuers: [idp.issuerOptions()], jwksCooldownSeconds: 30 });
  await auth.start();
  assert.equal(idp.fetches, 1, 'start prefetches');

  assert.equal((await auth.authenticate(bearer(await idp.sign(k1)))).ok, true);
  assert.equal(idp.fetches, 1, 'a known kid needs no fetch');

  // Rotation: the IdP publishes k2 (and retires k1) some time after the last fetch.
  clock.advance(31);
  const k2 = await signingKey('ES256', 'k2');
  idp.publish([k2]);
  assert.equal((await auth.authenticate(bearer(await idp.sign(k2)))).ok, true);
  assert.equal(idp.fetches, 2, 'the unknown kid triggered one refetch');

  // Within the cool-down an unknown kid is rejected without touching the IdP.
  const ghost = await signingKey('RS256', 'ghost');
  for (let i = 0; i < 5; i++) {
    const out = await auth.authenticate(bearer(await idp.sign(ghost, { jti: String(i) })));
    assert.ok(!out.ok);
    assert.equal(out.reason, 'unknown_key');
  }
  assert.equal(idp.fetches, 2, 'cool-down honoured');

  // k1 left the set with the rotation: a fresh k1 token no longer verifies.
  const retired = await auth.authenticate(bearer(await idp.sign(k1, { jti: 'after-rotation' })));
  assert.ok(!retired.ok);
  assert.equal(retired.reason, 'unknown_key');

  clock.advance(31);
  assert.equal((await auth.authenticate(bearer(await idp.sign(ghost, { jti: 'later' })))).ok, false);
  assert.equal(idp.fetches, 3, 'after the cool-down one more refetch is allowed');
  assert.equal(auth.stats().jwksLoads, 3);
  await auth.stop();
});

test('concurrent unknown kids share one refetch', async (t) => {
  const clock = new Clock();
  const k1 = await signingKey('RS256', 'k1');
  const idp = await TestIssuer.start(clock, [k1]);
  t.after(() => idp.stop());
  const auth = authenticator(clock, { issuers: [idp.issuerOptions()] });
  await auth.start();
  clock.advance(60);
  const k2 = await signingKey('RS256', 'k2');
  idp.publish([k1, k2]);
  const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => idp.sign(k2, { jti: String(i) })));
  const outs = await Promise.all(tokens.map((tok) => auth.authenticate(bearer(tok))));
  assert.ok(outs.every((o) => o.ok));
  assert.equal(idp.fetches, 2);
  await auth.stop();
});

test('JWKS endpoint down: cached keys keep working, a fresh authenticator answers 401 no_keys', async () => {
  const clock = new Clock();
  const k1 = await signingKey('RS256', 'k1');
  const idp = await TestIssuer.start(clock, [k1]);
  const auth = authenticator(clock, { issuers: [idp.issuerOptions()], jwksCacheSeconds: 600 });
  await auth.start();
  await idp.stop();

  // New tokens (not in the token cache) signed by the cached key still verify,
  assert.equal((await auth.authenticate(bearer(await idp.sign(k1, { jti: 'a' })))).ok, true);
  // also after the cache age passed and the background reload failed,
  clock.advance(700);
  assert.equal((await auth.authenticate(bearer(await idp.sign(k1, { jti: 'b' })))).ok, true);
  await auth.start(); // waits for the reload attempt in flight, if any; must not reject
  assert.equal((await auth.authenticate(bearer(await idp.sign(k1, { jti: 'c' })))).ok, true);
  // and an unknown kid is a 401, not an exception.
  clock.advance(60);
  const unknown = await auth.authenticate(bearer(await idp.sign(await signingKey('RS256', 'new'))));
  assert.ok(!unknown.ok);
  assert.deepEqual([unknown.status, unknown.reason], [401, 'unknown_key']);
  await auth.stop();

  const fresh = authenticator(clock, { issuers: [idp.issuerOptions()] });
  await fresh.start(); // logged, not fatal
  const out = await fresh.authenticate(bearer(await idp.sign(k1, { jti: 'd' })));
  assert.ok(!out.ok);
  assert.deepEqual([out.status, out.error, out.reason], [401, 'invalid_token', 'no_keys']);
  await fresh.stop();
});

test('an empty key set is no_keys; keys published later are used after the cool-down', async (t) => {
  const clock = new Clock();
  const k1 = await signingKey('ES256', 'k1');
  const idp = await TestIssuer.start(clock, []);
  t.after(() => idp.stop());
  const auth = authenticator(clock, { issuers: [idp.issuerOptions()], jwksCooldownSeconds: 10 });
  await auth.start();
  const token = await idp.sign(k1);
  const out = await auth.authenticate(bearer(token));
  assert.ok(!out.ok);
  assert.equal(out.reason, 'no_keys');
  idp.publish([k1]);
  clock.advance(11);
  assert.equal((await auth.authenticate(bearer(token))).ok, true);
  await auth.stop();
});

test('keys from a local JWKS file, re-read on an unknown kid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-jwks-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'jwks.json');
  const clock = new Clock();
  const k1 = await signingKey('RS256', 'k1');
  const k2 = await signingKey('RS256', 'k2');
  await writeFile(file, JSON.stringify({ keys: [k1.publicJwk] }));
  // The issuer's HTTP endpoint is only used to mint tokens here; keys come from the file.
  const idp = await TestIssuer.start(clock, []);
  t.after(() => idp.stop());
  const auth = authenticator(clock, { issuers: [{ issuer: idp.issuer, jwksFile: file, algorithms: ['RS256'] }] });
  await auth.start();
  assert.equal((await auth.authenticate(bearer(await idp.sign(k1)))).ok, true);
  await writeFile(file, JSON.stringify({ keys: [k1.publicJwk, k2.publicJwk] }));
  clock.advance(31);
  assert.equal((await auth.authenticate(bearer(await idp.sign(k2)))).ok, true);
  assert.equal(idp.fetches, 0);
  await auth.stop();
});
