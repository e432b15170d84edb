// WWW-Authenticate values: exact shape, sanitising, and what the TypeScript SDK client reads back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { bearerChallenge, challengeFor, dpopChallenge } from '../../src/identity/index.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

function sdkReads(value: string) {
  return extractWWWAuthenticateParams(new Response(null, { status: 401, headers: { 'WWW-Authenticate': value } }));
}

test('missing credentials: only resource_metadata (and scope when given)', () => {
  assert.equal(bearerChallenge({ resourceMetadataUrl: PRM }), `Bearer resource_metadata="${PRM}"`);
  assert.equal(bearerChallenge({ resourceMetadataUrl: PRM, scope: ['tools:read', 'tools:call'] }), `Bearer resource_metadata="${PRM}", scope="tools:read tools:call"`);
});

test('invalid token: error and description after the metadata', () => {
  assert.equal(
    bearerChallenge({ resourceMetadataUrl: PRM, error: 'invalid_token', description: 'token expired', scope: ['a'] }),
    `Bearer resource_metadata="${PRM}", scope="a", error="invalid_token", error_description="token expired"`,
  );
});

test('the SDK client parses what it needs', () => {
  const got = sdkReads(bearerChallenge({ resourceMetadataUrl: PRM, error: 'insufficient_scope', description: 'needs scope="x" for tools', scope: ['tools:call', 'admin'] }));
  assert.equal(got.resourceMetadataUrl?.href, PRM);
  assert.equal(got.scope, 'tools:call admin');
  assert.equal(got.error, 'insufficient_scope');
});

test('values RFC 6750 forbids are sanitised, never passed through', () => {
  const value = bearerChallenge({
    resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/a"b\\c d/é',
    error: 'invalid_token',
    description: 'bad "quote" \\ and\r\nInjected: header',
    scope: ['ok', 'has"quote', 'has space', ''],
  });
  assert.equal(
    value,
    'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/a%22b%5Cc%20d/%C3%A9", scope="ok", ' +
      `error="invalid_token", error_description="bad 'quote' ? and??Injected: header"`,
  );
  assert.ok(!/[\r\n]/.test(value));
});

test('a DPoP failure gets a DPoP challenge with the accepted algorithms', () => {
  assert.equal(
    dpopChallenge({ resourceMetadataUrl: PRM, error: 'invalid_dpop_proof', description: 'DPoP proof was already used', algs: ['ES256', 'RS256'] }),
    `DPoP resource_metadata="${PRM}", error="invalid_dpop_proof", error_description="DPoP proof was already used", algs="ES256 RS256"`,
  );
});

test('challengeFor picks the scheme and omits error for missing credentials', () => {
  const opts = { resourceMetadataUrl: PRM, scope: ['tools:read'], dpopAlgs: ['ES256'] };
  assert.equal(
    challengeFor({ ok: false, status: 401, scheme: 'Bearer', description: 'authentication required', reason: 'missing_token' }, opts),
    `Bearer resource_metadata="${PRM}", scope="tools:read"`,
  );
  assert.match(
    challengeFor({ ok: false, status: 401, error: 'invalid_token', scheme: 'DPoP', description: 'x', reason: 'dpop_required' }, opts),
    /^DPoP resource_metadata=".*", scope="tools:read", error="invalid_token", error_description="x", algs="ES256"$/,
  );
});
