// TLS with client-certificate verification on the gRPC port, for deployments without a mesh sidecar:
// only a caller holding a certificate the configured CA signed (Envoy), and optionally one of the
// allowed identities, may call ext_authz / ext_proc, whose answers trust what the caller states.
import * as grpc from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';
import type { PeerCertificate } from 'node:tls';
import type { GatewayConfig } from '../config/index.js';
import type { Logger } from '../telemetry/index.js';

export type GrpcTlsConfig = NonNullable<GatewayConfig['listen']['grpcTls']>;

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`listen.grpcTls.${what}: cannot read ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

/** Server credentials that require and verify a client certificate (the handshake refuses others). */
export async function grpcTlsCredentials(tls: GrpcTlsConfig): Promise<grpc.ServerCredentials> {
  const [cert, key, ca] = await Promise.all([readPem(tls.certFile, 'certFile'), readPem(tls.keyFile, 'keyFile'), readPem(tls.clientCaFile, 'clientCaFile')]);
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
}

// Node writes SANs as `URI:a, DNS:b`, quoting (JSON) any value that contains a separator.
const SAN_ENTRY = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;

/** The subject alternative name values of a peer certificate (URI, DNS, IP Address, …). */
export function subjectAltNames(cert: PeerCertificate | undefined): string[] {
  const text = cert?.subjectaltname ?? '';
  const out: string[] = [];
  SAN_ENTRY.lastIndex = 0;
  while (SAN_ENTRY.lastIndex < text.length) {
    const m = SAN_ENTRY.exec(text);
    if (!m) break;
    const raw = m[2] ?? '';
    try {
      out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    } catch {
      // an unreadable entry matches nothing
    }
  }
  return out;
}

/**
 * Refuses, with PERMISSION_DENIED, calls whose verified certificate names none of `allowed`. Calls to
 * a service under one of `ownAuth` (the control API, which admits admins only) pass through to it.
 */
export function allowedClientsInterceptor(allowed: readonly string[], logger: Logger, ownAuth: readonly string[] = []): grpc.ServerInterceptor {
  const names = new Set(allowed);
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            if (ownAuth.some((service) => method.path.startsWith(`/${service}/`))) return pass(metadata);
            const sans = subjectAltNames(call.getAuthContext().sslPeerCertificate);
            if (sans.some((n) => names.has(n))) return pass(metadata);
            logger.warn({ method: method.path, sans: sans.slice(0, 8) }, 'gRPC caller refused: its certificate is not in listen.grpcTls.allowedClients');
            call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: 'client certificate not allowed', metadata: new grpc.Metadata() });
          },
        }),
    });
}

/** The SANs of a gRPC call's verified client certificate; empty without TLS. */
export function peerNames(call: grpc.ServerUnaryCall<unknown, unknown>): string[] {
  return subjectAltNames(call.getAuthContext().sslPeerCertificate);
}
