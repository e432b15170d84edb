// A local OIDC-like issuer for identity tests: real keys from jose, a JWKS served over node:http on
// loopback (fetches counted server-side), rotation and outages on demand, and a clock the tests own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { Authenticator, type AuthenticatorDeps, type AuthenticatorOptions, type IssuerOptions } from '../../src/identity/index.js';
import { createLogger } from '../../src/telemetry/index.js';

export const RESOURCE = 'https://mcp.example.com/mcp';

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function signingKey(alg: string, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A test clock: the authenticator's `now`, and the base for token iat/exp. */
export class Clock {
  constructor(public ms = Date.parse('2026-03-01T12:00:00Z')) {}
  readonly now = (): number => this.ms;
  get seconds(): number {
    return Math.floor(this.ms / 1000);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export class TestIssuer {
  /** JWKS requests served (the signal for cache and cool-down tests). */
  fetches = 0;
  private published: SigningKey[] = [];

  private constructor(private readonly server: Server, readonly url: string, readonly clock: Clock) {}

  static async start(clock: Clock, keys: SigningKey[]): Promise<TestIssuer> {
    let self: TestIssuer | undefined;
    const server = createServer((req, res) => {
      if (self === undefined || req.url !== '/jwks') {
        res.writeHead(404).end();
        return;
      }
      self.fetches++;
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(JSON.stringify({ keys: self.published.map((k) => k.publicJwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new TestIssuer(server, `http://127.0.0.1:${port}`, clock);
    self.published = [...keys];
    return self;
  }

  get issuer(): string {
    return this.url;
  }

  get jwksUri(): string {
    return `${this.url}/jwks`;
  }

  /** Replaces the published key set (rotation). */
  publish(keys: SigningKey[]): void {
    this.published = [...keys];
  }

  /** Takes the JWKS endpoint down: connections are refused from now on. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A token valid for RESOURCE for an hour, unless claims or header say otherwise. */
  sign(key: SigningKey, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
    const now = this.clock.seconds;
    return new SignJWT({ iss: this.issuer, sub: 'alice', aud: RESOURCE, iat: now, exp: now + 3600, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
      .sign(key.privateKey);
  }

  issuerOptions(overrides: Partial<IssuerOptions> = {}): IssuerOptions {
    return { issuer: this.issuer, jwksUri: this.jwksUri, algorithms: ['RS256', 'ES256'], ...overrides };
  }
}

export function silentLogger() {
  return createLogger('silent');
}

export function authenticator(clock: Clock, opts: AuthenticatorOptions, deps: Partial<AuthenticatorDeps> = {}): Authenticator {
  return new Authenticator(opts, { now: clock.now, logger: silentLogger(), ...deps });
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}`, method: 'POST', url: RESOURCE, resource: RESOURCE };
}
