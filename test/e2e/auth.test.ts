// Identity and tool-level authorization end to end: a local OIDC issuer (JWKS over HTTP, rotated
// mid-test), real signed tokens, real SDK clients and pods, through envoy-sim (ext_authz + ext_proc).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, base64url } from 'jose';
import { parseConfig } from '../../src/config/index.js';
import { Clock, TestIssuer, signingKey, type SigningKey } from '../identity/issuer.js';
import { connectClient, freePort, rawPost } from '../fixtures/index.js';
import { podOf } from './pinning.js';
import { startStack, type Stack } from './stack.js';

const post = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
const API_KEY = 'mcpgw-test-api-key-0123456789';
const INJECTED = 'upstream-secret-value-42';
const call = (name: string, id = 1) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { text: 'x', query: 'q' } } });

describe('identity and tool-level authorization', () => {
  let stack: Stack;
  let issuer: TestIssuer;
  let k1: SigningKey;
  let k2: SigningKey;
  let resource: string;
  let base: string;
  const clock = new Clock(Date.now());
  const token = (claims: Record<string, unknown> = {}, key = k1) => issuer.sign(key, { aud: resource, scope: 'tools:read', ...claims });
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  before(async () => {
    k1 = await signingKey('RS256', 'k1');
    k2 = await signingKey('ES256', 'k2');
    issuer = await TestIssuer.start(clock, [k1]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    resource = `${base}/mcp`;
    process.env.MCPGW_TEST_INJECTED = INJECTED;
    const config = parseConfig(
      JSON.stringify({
        listen: { grpc: '127.0.0.1:0', http: '127.0.0.1:0' },
        shutdown: { graceSeconds: 1 },
        identity: {
          issuers: [issuer.issuerOptions({ tenantClaim: 'tenant', rolesClaim: 'realm_access.roles' })],
          jwksCooldownSeconds: 1,
          apiKeys: [{ name: 'ci-bot', sha256: createHash('sha256').update(API_KEY).digest('hex'), tenant: 'eng', scopes: ['tools:read'] }],
        },
        servers: [
          {
            name: 'demo',
            match: { hosts: ['127.0.0.1'], pathPrefix: '/mcp' },
            auth: { resource },
            policy: {
              defaultEffect: 'deny',
              rules: [
                { effect: 'allow', tools: ['whoami', 'echo', 'slow_count'], scopes: { anyOf: ['tools:read'] } },
                { effect: 'allow', tools: ['search_docs'], scopes: { allOf: ['docs:read'] } },
                { effect: 'allow', tools: ['*'], spiffeIds: ['spiffe://cluster.local/ns/agents/sa/*'] },
                { effect: 'deny', tools: ['delete_*'] },
              ],
            },
            upstream: { headers: [{ name: 'x-upstream-credential', fromEnv: 'MCPGW_TEST_INJECTED' }] },
          },
        ],
      }),
    );
    if (!config.ok) throw new Error(config.problems.join('\n'));
    // One pod answers JSON, one SSE: list filtering must handle both framings.
    stack = await startStack({ config: config.config, simPort: port, pods: [{ name: 'pod-json', responseMode: 'json' }, { name: 'pod-sse' }], cluster: { lb: 'ring_hash', hashHeader: 'x-mcp-affinity' } });
  });
  after(async () => {
    await stack.close();
    await issuer.stop();
    delete process.env.MCPGW_TEST_INJECTED;
  });

  it('no token: 401 with a resource_metadata challenge; the metadata is served at both well-known URLs', async () => {
    const r = await rawPost(stack.url, call('whoami'), post);
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
    assert.equal(JSON.parse(r.body).jsonrpc, '2.0');
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const prm = await fetch(`${base}${path}`);
      assert.equal(prm.status, 200, path);
      const doc = (await prm.json()) as Record<string, unknown>;
      assert.equal(doc.resource, resource);
      assert.deepEqual(doc.authorization_servers, [issuer.issuer]);
      assert.deepEqual(doc.bearer_methods_supported, ['header']);
      assert.ok((doc.scopes_supported as string[]).includes('docs:read'));
    }
  });

  it('the SDK client without credentials surfaces 401; with an auth provider it discovers the metadata', async () => {
    await assert.rejects(connectClient(stack.url), (e: Error & { code?: number }) => e.code === 401 || /401/.test(e.message));
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const provider = {
      redirectUrl: 'http://127.0.0.1/cb',
      clientMetadata: { redirect_uris: ['http://127.0.0.1/cb'], client_name: 'e2e' },
      clientInformation: () => undefined,
      saveClientInformation: () => undefined,
      tokens: () => undefined,
      saveTokens: () => undefined,
      redirectToAuthorization: () => undefined,
      saveCodeVerifier: () => undefined,
      codeVerifier: () => 'v',
    };
    const client = new Client({ name: 'e2e-oauth', version: '0' });
    await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(stack.url), { authProvider: provider as never })));
    assert.ok(
      stack.sim.log.some((e) => e.path === '/.well-known/oauth-protected-resource/mcp' && e.status === 200),
      'the client fetched the protected resource metadata from the gateway',
    );
  });

  it('a valid token calls allowed tools; the list is filtered to what the caller may use', async () => {
    const { client } = await connectClient(stack.url, { headers: auth(await token()) });
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(tools, ['echo', 'slow_count', 'whoami']);
    assert.match((await podOf(client)).pod, /^pod-/);
    await client.close();
  });

  it('two users with different scopes see different lists, from JSON and SSE pods alike', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      for (const [scope, expected] of [
        ['tools:read docs:read', ['echo', 'search_docs', 'slow_count', 'whoami']],
        ['tools:read', ['echo', 'slow_count', 'whoami']],
      ] as const) {
        const { client } = await connectClient(stack.url, { headers: auth(await token({ sub: `user-${i}`, scope })) });
        assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), expected);
        seen.add((await podOf(client)).pod);
        await client.close();
      }
    }
    assert.deepEqual([...seen].sort(), ['pod-json', 'pod-sse']);
  });

  it('a tool needing another scope is 403 insufficient_scope naming it; a hidden tool is 403', async () => {
    const t = await token();
    const { client, transport } = await connectClient(stack.url, { headers: auth(t) });
    await podOf(client);
    const headers = { ...post, ...auth(t), 'mcp-session-id': transport.sessionId as string };
    const scoped = await rawPost(stack.url, call('search_docs', 5), headers);
    assert.equal(scoped.status, 403);
    assert.equal(scoped.headers['www-authenticate']?.includes('error="insufficient_scope"'), true);
    assert.match(String(scoped.headers['www-authenticate']), /scope="docs:read"/);
    assert.match(String(scoped.headers['www-authenticate']), /resource_metadata="/);
    assert.equal(JSON.parse(scoped.body).id, 5);
    const hidden = await rawPost(stack.url, call('delete_everything', 6), headers);
    assert.equal(hidden.status, 403);
    assert.equal(hidden.headers['www-authenticate'], undefined, 'no scope would help: plain 403');
    await client.close();
  });

  it('bad tokens: each refused with 401 (never 500) and the right error', async () => {
    const now = Math.floor(Date.now() / 1000);
    const [h, p, s] = (await token()).split('.');
    const tampered = `${h}.${base64url.encode(JSON.stringify({ ...JSON.parse(Buffer.from(p as string, 'base64url').toString()), scope: 'admin' }))}.${s}`;
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ iss: issuer.issuer, sub: 'x', aud: resource, exp: now + 60 }))}.`;
    const pem = Buffer.from(`-----BEGIN PUBLIC KEY-----\n${JSON.stringify(k1.publicJwk)}\n-----END PUBLIC KEY-----`);
    const hs = await new SignJWT({ iss: issuer.issuer, sub: 'x', aud: resource, exp: now + 60 }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(pem);
    const cases: Array<[string, string, number, RegExp]> = [
      ['expired', await token({ iat: now - 7200, exp: now - 3600 }), 401, /invalid_token/],
      ['not yet valid', await token({ nbf: now + 3600 }), 401, /invalid_token/],
      ['wrong aud', await token({ aud: 'https://other.example.com/mcp' }), 401, /invalid_token/],
      ['wrong iss', await token({ iss: 'https://evil.example.com' }), 401, /invalid_token/],
      ['unknown kid', await issuer.sign({ ...k1, kid: 'nope' }, { aud: resource }), 401, /invalid_token/],
      ['alg none', none, 401, /invalid_token/],
      ['HS256 with the public key', hs, 401, /invalid_token/],
      ['tampered payload', tampered, 401, /invalid_token/],
      ['oversized', `${'a'.repeat(9000)}.b.c`, 401, /invalid_token/],
      ['garbage', 'not-a-jwt', 401, /invalid_token/],
    ];
    for (const [name, t, status, challenge] of cases) {
      const r = await rawPost(stack.url, call('whoami'), { ...post, ...auth(t) });
      assert.equal(r.status, status, name);
      assert.match(String(r.headers['www-authenticate']), challenge, name);
      assert.equal(JSON.parse(r.body).error.code, -31401, name);
    }
  });

  it('rotated keys are picked up without a restart; cached keys keep working while the JWKS is down', async () => {
    issuer.publish([k1, k2]);
    const rotated = await token({}, k2);
    // An unknown kid refetches the JWKS at most once per cool-down (1 s here): poll until it has.
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await rawPost(stack.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '0' } } }), { ...post, ...auth(rotated) })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200, 'the rotated key was fetched');
    const { client } = await connectClient(stack.url, { headers: auth(rotated) });
    await podOf(client);
    await client.close();
    await issuer.stop();
    const again = await connectClient(stack.url, { headers: auth(await token({ sub: 'carol' }, k2)) });
    await podOf(again.client);
    await again.client.close();
  });

  it('identity headers from the client are never trusted; Authorization never reaches the upstream; injected credentials do', async () => {
    const { client } = await connectClient(stack.url, { headers: { ...auth(await token({ sub: 'dave', tenant: 'acme' }, k2)), 'x-mcp-principal': 'admin', 'x-mcp-tenant': 'root' } });
    const home = (await podOf(client)).pod;
    const pod = stack.pods.find((p) => p.name === home);
    const last = pod?.requests.filter((r) => r.method === 'POST').at(-1);
    assert.equal(last?.headers['x-mcp-principal'], `jwt:${issuer.issuer}#dave`);
    assert.equal(last?.headers['x-mcp-tenant'], 'acme');
    assert.equal(last?.headers['x-upstream-credential'], INJECTED);
    for (const p of stack.pods) for (const r of p.requests) assert.equal(r.headers.authorization, undefined, 'no token passthrough');
    await client.close();
  });

  it("another principal presenting a session id gets 404, the same as an unknown id", async () => {
    const alice = await connectClient(stack.url, { headers: auth(await token({ sub: 'alice2' }, k2)) });
    await podOf(alice.client);
    const r = await rawPost(stack.url, call('whoami'), { ...post, ...auth(await token({ sub: 'mallory' }, k2)), 'mcp-session-id': alice.transport.sessionId as string });
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).error.code, -32001);
    await alice.client.close();
  });

  it('API keys and mesh identities are principals too', async () => {
    const byKey = await connectClient(stack.url, { headers: { 'x-api-key': API_KEY } });
    assert.match((await podOf(byKey.client)).pod, /^pod-/);
    await byKey.client.close();
    assert.equal((await rawPost(stack.url, call('whoami'), { ...post, 'x-api-key': 'wrong' })).status, 401);
    const mesh = await connectClient(stack.url, { headers: { 'x-sim-peer-principal': 'spiffe://cluster.local/ns/agents/sa/planner' } });
    assert.ok((await mesh.client.listTools()).tools.some((t) => t.name === 'search_docs'), 'the SPIFFE rule allows every tool but delete_*');
    assert.ok(!(await mesh.client.listTools()).tools.some((t) => t.name === 'delete_everything'), 'deny wins');
    await mesh.client.close();
  });
});
