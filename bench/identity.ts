// The bench's token issuer: an RS256 and an ES256 key, their JWKS in a local file (mcpgw reads it
// through identity.issuers[].jwksFile), and token pools signed up front with node:crypto, so the load
// generator spends nothing on signing. A pool is a file of tokens, one per line.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { AUTHORITY, MCP_PATH } from './messages.js';

export const BENCH_ISSUER = 'https://issuer.bench';
export const BENCH_RESOURCE = `https://${AUTHORITY}${MCP_PATH}`;

export type TokenAlg = 'RS256' | 'ES256';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export class BenchIssuer {
  readonly jwksFile: string;
  private readonly keys: Record<TokenAlg, { privateKey: KeyObject; kid: string }>;

  constructor(readonly dir: string) {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.keys = { RS256: { privateKey: rsa.privateKey, kid: 'bench-rs' }, ES256: { privateKey: ec.privateKey, kid: 'bench-es' } };
    const jwk = (k: KeyObject, kid: string, alg: TokenAlg) => ({ ...k.export({ format: 'jwk' }), kid, alg, use: 'sig' });
    this.jwksFile = path.join(dir, 'jwks.json');
    writeFileSync(this.jwksFile, JSON.stringify({ keys: [jwk(rsa.publicKey, 'bench-rs', 'RS256'), jwk(ec.publicKey, 'bench-es', 'ES256')] }));
  }

  /** A token for BENCH_RESOURCE valid for two hours, unique by its jti. */
  token(alg: TokenAlg): string {
    const { privateKey, kid } = this.keys[alg];
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg, kid, typ: 'JWT' })}.${b64({ iss: BENCH_ISSUER, sub: 'bench-user', aud: BENCH_RESOURCE, iat: now, exp: now + 7200, jti: randomUUID(), scope: 'tools:read' })}`;
    const sig = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey);
    return `${input}.${sig.toString('base64url')}`;
  }

  /** Writes `count` distinct tokens to a file and returns its path. */
  pool(name: string, alg: TokenAlg, count: number): string {
    const file = path.join(this.dir, `${name}.tokens`);
    writeFileSync(file, Array.from({ length: count }, () => this.token(alg)).join('\n'));
    return file;
  }

  /** mcpgw config fields: the issuer (top level) and the server's `auth`. */
  identityConfig(): { identity: Record<string, unknown>; auth: Record<string, unknown> } {
    return { identity: { issuers: [{ issuer: BENCH_ISSUER, jwksFile: this.jwksFile, algorithms: ['RS256', 'ES256'] }] }, auth: { resource: BENCH_RESOURCE } };
  }
}
