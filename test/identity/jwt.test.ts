// Bearer JWTs against a local issuer: claims mapping, several issuers, and a table of bad tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { base64url, exportSPKI, importJWK, type CryptoKey } from 'jose';
import { Authenticator } from '../../src/identity/index.js';
import { authenticator, bearer, Clock, RESOURCE, signingKey, silentLogger, TestIssuer, type SigningKey } from './issuer.js';

const clock = new Clock();
let idp: TestIssuer;
let rsa: SigningKey;
let ec: SigningKey;
let auth: Authenticator;

before(async () => {
  rsa = await signingKey('RS256', 'rsa-1');
  ec = await signingKey('ES256', 'ec-1');
  idp = await TestIssuer.start(clock, [rsa, ec]);
  auth = authenticator(clock, {
    issuers: [
      idp.issuerOptions({ algorithms: ['RS256'], rolesClaim: 'realm_access.roles', groupsClaim: 'https://example.com/groups', tenantClaim: 'org.tenant' }),
      // A second issuer sharing the JWKS, with a different algorithm list.
      { issuer: `${idp.issuer}/ec`, jwksUri: idp.jwksUri, algorithms: ['ES256'] },
    ],
  });
  await auth.start();
});

after(async () => {
  await auth.stop();
  await idp.stop();
});

describe('valid tokens', () => {
  test('an RS256 token yields a jwt principal with id, subject, issuer and expiry', async () => {
    const token = await idp.sign(rsa, { scope: 'tools:read tools:call' });
    const out = await auth.authenticate(bearer(token));
    assert.ok(out.ok && out.principal);
    assert.equal(out.principal.id, `jwt:${idp.issuer}#alice`);
    assert.equal(out.principal.kind, 'jwt');
    assert.equal(out.principal.subject, 'alice');
    assert.equal(out.principal.issuer, idp.issuer);
    assert.deepEqual(out.principal.scopes, ['tools:read', 'tools:call']);
    assert.equal(out.principal.expiresAt, (clock.seconds + 3600) * 1000);
  });

  test('an ES256 token is verified with its own issuer', async () => {
    const token = await idp.sign(ec, { iss: `${idp.issuer}/ec`, sub: 'bot' });
    const out = await auth.authenticate(bearer(token));
    assert.ok(out.ok && out.principal);
    assert.equal(out.principal.id, `jwt:${idp.issuer}/ec#bot`);
  });

  test('scopes come from scp as an array or a string', async () => {
    for (const scp of [['a', 'b'], 'a b']) {
      const out = await auth.authenticate(bearer(await idp.sign(rsa, { scp, jti: String(scp) })));
      assert.ok(out.ok && out.principal);
      assert.deepEqual(out.principal.scopes, ['a', 'b']);
    }
  });

  test('roles, groups and tenant come from nested and dotted claim paths', async () => {
    const token = await idp.sign(rsa, {
      realm_access: { roles: ['admin', 'user', 7] },
      'https://example.com/groups': ['eng'],
      org: { tenant: 'acme' },
    });
    const out = await auth.authenticate(bearer(token));
    assert.ok(out.ok && out.principal);
    assert.deepEqual(out.principal.roles, ['admin', 'user']);
    assert.deepEqual(out.principal.groups, ['eng']);
    assert.equal(out.principal.tenant, 'acme');
  });

  test('aud as an array and a differently cased or slash-terminated resource still match', async () => {
    const token = await idp.sign(rsa, { aud: ['other', 'HTTPS://MCP.EXAMPLE.COM/mcp/'] });
    assert.equal((await auth.authenticate(bearer(token))).ok, true);
  });

  test('a configured audience is accepted besides the resource', async () => {
    const a = authenticator(clock, { issuers: [idp.issuerOptions({ audiences: ['mcpgw'] })] });
    await a.start();
    assert.equal((await a.authenticate(bearer(await idp.sign(rsa, { aud: 'mcpgw' })))).ok, true);
    assert.equal((await a.authenticate(bearer(await idp.sign(rsa)))).ok, true);
    await a.stop();
  });

  test('a token within the clock skew of exp or nbf is accepted', async () => {
    const token = await idp.sign(rsa, { exp: clock.seconds - 30, nbf: clock.seconds + 30, iat: clock.seconds - 3600 });
    assert.equal((await auth.authenticate(bearer(token))).ok, true);
  });
});

describe('bad tokens', () => {
  interface Case {
    name: string;
    token: () => Promise<string>;
    status: 400 | 401;
    error: string;
    reason: string;
  }
  const unsigned = (header: object, claims: object): string =>
    `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}.`;
  const validClaims = () => ({ iss: idp.issuer, sub: 'alice', aud: RESOURCE, iat: clock.seconds, exp: clock.seconds + 3600 });

  const cases: Case[] = [
    { name: 'expired', token: () => idp.sign(rsa, { exp: clock.seconds - 120 }), status: 401, error: 'invalid_token', reason: 'expired' },
    { name: 'not yet valid', token: () => idp.sign(rsa, { nbf: clock.seconds + 600 }), status: 401, error: 'invalid_token', reason: 'not_yet_valid' },
    { name: 'wrong aud', token: () => idp.sign(rsa, { aud: 'https://other.example.com/mcp' }), status: 401, error: 'invalid_token', reason: 'wrong_audience' },
    { name: 'aud that only prefixes the resource', token: () => idp.sign(rsa, { aud: 'https://mcp.example.com' }), status: 401, error: 'invalid_token', reason: 'wrong_audience' },
    { name: 'no aud', token: () => idp.sign(rsa, { aud: undefined }), status: 401, error: 'invalid_token', reason: 'wrong_audience' },
    { name: 'wrong iss', token: () => idp.sign(rsa, { iss: 'https://evil.example.com' }), status: 401, error: 'invalid_token', reason: 'wrong_issuer' },
    {
      name: 'unknown kid',
      token: async () => idp.sign(await signingKey('RS256', 'ghost')),
      status: 401,
      error: 'invalid_token',
      reason: 'unknown_key',
    },
    {
      name: 'known kid, other key',
      token: async () => idp.sign({ ...(await signingKey('RS256', 'x')), kid: rsa.kid }),
      status: 401,
      error: 'invalid_token',
      reason: 'bad_signature',
    },
    { name: 'alg none', token: async () => unsigned({ alg: 'none', typ: 'JWT' }, validClaims()), status: 401, error: 'invalid_token', reason: 'alg_not_allowed' },
    {
      name: 'HS256 signed with the RSA public key PEM as secret',
      token: async () => {
        const pem = await exportSPKI((await importJWK(rsa.publicJwk, 'RS256', { extractable: true })) as CryptoKey);
        const input = `${base64url.encode(JSON.stringify({ alg: 'HS256', kid: rsa.kid, typ: 'JWT' }))}.${base64url.encode(JSON.stringify(validClaims()))}`;
        return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
      },
      status: 401,
      error: 'invalid_token',
      reason: 'alg_not_allowed',
    },
    {
      name: 'tampered payload',
      token: async () => {
        const [h, , s] = (await idp.sign(rsa, { scope: 'read' })).split('.');
        return `${h}.${base64url.encode(JSON.stringify({ ...validClaims(), scope: 'admin' }))}.${s}`;
      },
      status: 401,
      error: 'invalid_token',
      reason: 'bad_signature',
    },
    { name: 'oversized', token: () => idp.sign(rsa, { pad: 'x'.repeat(9000) }), status: 401, error: 'invalid_token', reason: 'token_too_large' },
    { name: 'garbage', token: async () => 'not-a-jwt', status: 401, error: 'invalid_token', reason: 'malformed_token' },
    { name: 'garbage with dots', token: async () => 'a.b.c', status: 401, error: 'invalid_token', reason: 'malformed_token' },
    { name: 'two tokens in one header', token: async () => 'abc def', status: 400, error: 'invalid_request', reason: 'malformed_request' },
    { name: 'wrong alg for issuer (ES256 key in JWKS, issuer allows RS256)', token: () => idp.sign(ec), status: 401, error: 'invalid_token', reason: 'alg_not_allowed' },
    { name: 'no sub', token: () => idp.sign(rsa, { sub: undefined }), status: 401, error: 'invalid_token', reason: 'malformed_token' },
    { name: 'no exp', token: () => idp.sign(rsa, { exp: undefined }), status: 401, error: 'invalid_token', reason: 'malformed_token' },
  ];

  for (const c of cases) {
    test(`${c.name} → ${c.status} ${c.reason}`, async () => {
      const out = await auth.authenticate(bearer(await c.token()));
      assert.equal(out.ok, false);
      assert.ok(!out.ok);
      assert.deepEqual({ status: out.status, error: out.error, reason: out.reason, scheme: out.scheme }, { status: c.status, error: c.error, reason: c.reason, scheme: 'Bearer' });
      assert.ok(!/[\\"]/.test(out.description));
    });
  }

  test('an empty Bearer credential is a malformed request', async () => {
    const out = await auth.authenticate({ ...bearer(''), authorization: 'Bearer ' });
    assert.ok(!out.ok);
    assert.deepEqual([out.status, out.error, out.reason], [400, 'invalid_request', 'malformed_request']);
  });
});

describe('construction rejects unsafe issuers', () => {
  for (const algorithms of [['none'], ['HS256'], ['RS256', 'HS512'], ['XX1'], []]) {
    test(`algorithms ${JSON.stringify(algorithms)}`, () => {
      assert.throws(
        () => new Authenticator({ issuers: [{ issuer: 'https://i', jwksUri: 'https://i/jwks', algorithms }] }, { logger: silentLogger() }),
        /algorithms/,
      );
    });
  }
  test('both jwksUri and jwksFile', () => {
    assert.throws(
      () => new Authenticator({ issuers: [{ issuer: 'https://i', jwksUri: 'https://i/j', jwksFile: '/j', algorithms: ['RS256'] }] }, { logger: silentLogger() }),
      /exactly one/,
    );
  });
});
