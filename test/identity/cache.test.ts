// The verified-token cache: a repeat presentation skips signature verification, but expiry and
// audience are still checked on every request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticator, bearer, Clock, signingKey, TestIssuer } from './issuer.js';

test('a repeated token is served from the cache; an expired cached token is rejected', async (t) => {
  const clock = new Clock();
  const key = await signingKey('RS256', 'k');
  const idp = await TestIssuer.start(clock, [key]);
  t.after(() => idp.stop());
  const auth = authenticator(clock, { issuers: [idp.issuerOptions({ clockSkewSeconds: 30 })] });
  await auth.start();
  const token = await idp.sign(key, { exp: clock.seconds + 300 });

  const first = await auth.authenticate(bearer(token));
  const second = await auth.authenticate(bearer(token));
  assert.ok(first.ok && second.ok);
  assert.deepEqual(second.principal, first.principal);
  assert.deepEqual(auth.stats(), { jwtVerifications: 1, tokenCacheHits: 1, tokenCacheEntries: 1, jwksLoads: 1 });

  clock.advance(300 + 31);
  const late = await auth.authenticate(bearer(token));
  assert.ok(!late.ok);
  assert.deepEqual([late.status, late.reason], [401, 'expired']);
  assert.equal(auth.stats().tokenCacheHits, 1, 'the expired entry was not served');
  await auth.stop();
});

test('a cached token presented to another resource is still checked for audience', async (t) => {
  const clock = new Clock();
  const key = await signingKey('RS256', 'k');
  const idp = await TestIssuer.start(clock, [key]);
  t.after(() => idp.stop());
  const auth = authenticator(clock, { issuers: [idp.issuerOptions()] });
  await auth.start();
  const token = await idp.sign(key);
  assert.equal((await auth.authenticate(bearer(token))).ok, true);
  const other = await auth.authenticate({ ...bearer(token), resource: 'https://mcp.example.com/other' });
  assert.ok(!other.ok);
  assert.equal(other.reason, 'wrong_audience');
  assert.equal(auth.stats().tokenCacheHits, 1);
  await auth.stop();
});

test('the cache is bounded', async (t) => {
  const clock = new Clock();
  const key = await signingKey('ES256', 'k');
  const idp = await TestIssuer.start(clock, [key]);
  t.after(() => idp.stop());
  const auth = authenticator(clock, { issuers: [idp.issuerOptions()], tokenCacheEntries: 2 });
  await auth.start();
  for (let i = 0; i < 5; i++) assert.equal((await auth.authenticate(bearer(await idp.sign(key, { jti: String(i) })))).ok, true);
  assert.equal(auth.stats().tokenCacheEntries, 2);
  await auth.stop();
});
