// Identity logs reasons, never credentials: run failures and successes with debug logging captured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { apiKeyDigest } from '../../src/identity/index.js';
import { createLogger } from '../../src/telemetry/index.js';
import { authenticator, bearer, Clock, signingKey, TestIssuer } from './issuer.js';

test('no token, proof or API key reaches the log', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const clock = new Clock();
  const key = await signingKey('RS256', 'k');
  const idp = await TestIssuer.start(clock, [key]);
  t.after(() => idp.stop());
  const apiKey = 'mk_live_log_probe_5f1c2d3e4a';
  const auth = authenticator(clock, { issuers: [idp.issuerOptions()], apiKeys: [{ name: 'probe', sha256: apiKeyDigest(apiKey) }] }, { logger: createLogger('debug', sink) });
  await auth.start();

  const good = await idp.sign(key);
  const expired = await idp.sign(key, { exp: clock.seconds - 3600 });
  const unknown = await idp.sign(await signingKey('RS256', 'ghost'));
  await auth.authenticate(bearer(good));
  await auth.authenticate(bearer(expired));
  await auth.authenticate(bearer(unknown));
  await auth.authenticate({ ...bearer('x'), authorization: undefined, apiKey });
  await auth.authenticate({ ...bearer('x'), authorization: undefined, apiKey: `${apiKey}-wrong` });
  await idp.stop();
  clock.advance(3600);
  await auth.authenticate(bearer(await idp.sign(await signingKey('RS256', 'other'))));
  await auth.stop();

  const log = lines.join('');
  assert.match(log, /"reason":"expired"/, 'reasons are logged');
  for (const secret of [good, expired, unknown, apiKey]) {
    assert.ok(!log.includes(secret), 'a credential was logged');
    assert.ok(!log.includes(secret.split('.')[1] ?? secret), 'a token payload was logged');
  }
});
