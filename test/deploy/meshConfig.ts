// The meshConfig ext_authz provider entry, checked field by field. Istio's mesh config is not a
// Kubernetes object (no CRD schema covers it; the IstioOperator model leaves spec free-form), so the
// accepted fields are written out here from istio/api mesh/v1alpha1/config.proto,
// MeshConfig.ExtensionProvider.EnvoyExternalAuthorizationGrpcProvider (camelCase JSON names).

type FieldKind = 'string' | 'uint32' | 'boolean' | 'duration' | { [field: string]: FieldKind };

const REQUEST_BODY: FieldKind = { maxRequestBytes: 'uint32', allowPartialMessage: 'boolean', packAsBytes: 'boolean' };
const GRPC_PROVIDER: Record<string, FieldKind> = {
  service: 'string',
  port: 'uint32',
  timeout: 'duration',
  failOpen: 'boolean',
  statusOnError: 'string',
  includeRequestBodyInCheck: REQUEST_BODY,
  clearRouteCache: 'boolean', // newest istio/api; not wired by every istiod
};
// A protobuf Duration in JSON ("0.5s"), which is also a valid Go duration.
const DURATION = /^\d+(\.\d{1,9})?s$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ExtAuthzGrpcProvider {
  name: string;
  envoyExtAuthzGrpc: {
    service: string;
    port: number;
    timeout?: string;
    failOpen?: boolean;
    statusOnError?: string;
    includeRequestBodyInCheck?: { maxRequestBytes?: number; allowPartialMessage?: boolean; packAsBytes?: boolean };
  };
}

function checkFields(value: unknown, shape: Record<string, FieldKind>, path: string, problems: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path}: expected a mapping`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const kind = shape[key];
    const p = `${path}.${key}`;
    if (kind === undefined) problems.push(`${p}: unknown field "${key}" (one of ${Object.keys(shape).join(', ')})`);
    else if (typeof kind === 'object') checkFields(v, kind as Record<string, FieldKind>, p, problems);
    else if (kind === 'string' && typeof v !== 'string') problems.push(`${p}: expected a string (quote numbers such as "503")`);
    else if (kind === 'boolean' && typeof v !== 'boolean') problems.push(`${p}: expected true or false`);
    else if (kind === 'uint32' && !(Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 4294967295)) problems.push(`${p}: expected a uint32`);
    else if (kind === 'duration' && !(typeof v === 'string' && DURATION.test(v))) problems.push(`${p}: expected a duration such as "0.5s"`);
  }
}

/** Problems with the extensionProviders list of a meshConfig mapping; empty when it is well-formed. */
export function extensionProviderProblems(meshConfig: unknown, path = 'meshConfig'): string[] {
  const problems: string[] = [];
  const providers = (meshConfig as { extensionProviders?: unknown } | undefined)?.extensionProviders;
  if (!Array.isArray(providers)) return [`${path}.extensionProviders: expected a list`];
  providers.forEach((entry: unknown, i) => {
    const p = `${path}.extensionProviders[${i}]`;
    const { name, ...rest } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || !DNS_LABEL.test(name)) problems.push(`${p}.name: expected a DNS-1123 label of at most 63 characters`);
    const kinds = Object.keys(rest);
    if (kinds.length !== 1 || kinds[0] !== 'envoyExtAuthzGrpc') {
      problems.push(`${p}: expected exactly one provider kind, envoyExtAuthzGrpc (found ${kinds.join(', ') || 'none'})`);
      return;
    }
    checkFields(rest['envoyExtAuthzGrpc'], GRPC_PROVIDER, `${p}.envoyExtAuthzGrpc`, problems);
    for (const required of ['service', 'port']) {
      if ((rest['envoyExtAuthzGrpc'] as Record<string, unknown>)[required] === undefined) problems.push(`${p}.envoyExtAuthzGrpc.${required}: required`);
    }
  });
  return problems;
}

export function extensionProviders(meshConfig: unknown): ExtAuthzGrpcProvider[] {
  return ((meshConfig as { extensionProviders?: ExtAuthzGrpcProvider[] }).extensionProviders ?? []);
}
