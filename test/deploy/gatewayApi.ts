// Kubernetes Gateway API objects (gateway.networking.k8s.io/v1 Gateway and HTTPRoute), checked field
// by field. No model package for the Gateway API is installed (the schema packages in package.json
// cover Kubernetes, Istio and Prometheus), so the accepted fields are written out here from the
// Gateway API v1 standard channel (sigs.k8s.io/gateway-api apis/v1 gateway_types.go,
// httproute_types.go, shared_types.go), unknown fields rejected as in k8sSchema.ts.

type Shape =
  | 'string'
  | 'port'
  | 'duration'
  | 'map'
  | { enum: readonly string[] }
  | { list: Shape }
  | { fields: Record<string, Shape>; required?: readonly string[] };

const obj = (fields: Record<string, Shape>, required: readonly string[] = []): Shape => ({ fields, required });
const list = (of: Shape): Shape => ({ list: of });
const oneOf = (...values: string[]): Shape => ({ enum: values });

const METADATA = obj({ name: 'string', namespace: 'string', labels: 'map', annotations: 'map' }, ['name']);
const SECRET_REF = obj({ group: 'string', kind: 'string', name: 'string', namespace: 'string' }, ['name']);
const PARENT_REF = obj({ group: 'string', kind: 'string', namespace: 'string', name: 'string', sectionName: 'string', port: 'port' }, ['name']);
const HEADER_MATCH = obj({ type: oneOf('Exact', 'RegularExpression'), name: 'string', value: 'string' }, ['name', 'value']);
const HEADER_FILTER = obj({ set: list(obj({ name: 'string', value: 'string' }, ['name', 'value'])), add: list(obj({ name: 'string', value: 'string' }, ['name', 'value'])), remove: list('string') });
const HTTP_FILTER = obj({ type: oneOf('RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'RequestRedirect', 'URLRewrite', 'ExtensionRef', 'CORS'), requestHeaderModifier: HEADER_FILTER, responseHeaderModifier: HEADER_FILTER }, ['type']);

const GATEWAY_SPEC = obj(
  {
    gatewayClassName: 'string',
    listeners: list(
      obj(
        {
          name: 'string',
          hostname: 'string',
          port: 'port',
          protocol: 'string',
          tls: obj({ mode: oneOf('Terminate', 'Passthrough'), certificateRefs: list(SECRET_REF), options: 'map' }),
          allowedRoutes: obj({
            namespaces: obj({ from: oneOf('All', 'Selector', 'Same'), selector: obj({ matchLabels: 'map' }) }),
            kinds: list(obj({ group: 'string', kind: 'string' }, ['kind'])),
          }),
        },
        ['name', 'port', 'protocol'],
      ),
    ),
    addresses: list(obj({ type: 'string', value: 'string' }, ['value'])),
    infrastructure: obj({ labels: 'map', annotations: 'map', parametersRef: obj({ group: 'string', kind: 'string', name: 'string' }, ['group', 'kind', 'name']) }),
  },
  ['gatewayClassName', 'listeners'],
);

const HTTPROUTE_SPEC = obj({
  parentRefs: list(PARENT_REF),
  hostnames: list('string'),
  rules: list(
    obj({
      name: 'string',
      matches: list(
        obj({
          path: obj({ type: oneOf('Exact', 'PathPrefix', 'RegularExpression'), value: 'string' }),
          headers: list(HEADER_MATCH),
          queryParams: list(HEADER_MATCH),
          method: oneOf('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'),
        }),
      ),
      filters: list(HTTP_FILTER),
      backendRefs: list(obj({ group: 'string', kind: 'string', name: 'string', namespace: 'string', port: 'port', weight: 'port', filters: list(HTTP_FILTER) }, ['name'])),
      timeouts: obj({ request: 'duration', backendRequest: 'duration' }),
    }),
  ),
});

const KINDS: Record<string, Shape> = {
  'gateway.networking.k8s.io/v1 Gateway': obj({ apiVersion: 'string', kind: 'string', metadata: METADATA, spec: GATEWAY_SPEC }, ['metadata', 'spec']),
  'gateway.networking.k8s.io/v1 HTTPRoute': obj({ apiVersion: 'string', kind: 'string', metadata: METADATA, spec: HTTPROUTE_SPEC }, ['metadata', 'spec']),
};

// Gateway API durations: one or more <number><unit> parts, units h, m, s, ms ("0s", "1h30m").
const DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

function check(value: unknown, shape: Shape, path: string, problems: string[]): void {
  if (shape === 'string') {
    if (typeof value !== 'string') problems.push(`${path}: expected a string`);
  } else if (shape === 'port') {
    if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535)) problems.push(`${path}: expected an integer 0..65535`);
  } else if (shape === 'duration') {
    if (!(typeof value === 'string' && DURATION.test(value))) problems.push(`${path}: expected a Gateway API duration such as "0s" or "30s"`);
  } else if (shape === 'map') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) problems.push(`${path}: expected a mapping`);
  } else if ('enum' in shape) {
    if (!shape.enum.includes(value as string)) problems.push(`${path}: expected one of ${shape.enum.join(', ')}`);
  } else if ('list' in shape) {
    if (!Array.isArray(value)) problems.push(`${path}: expected a list`);
    else value.forEach((v, i) => check(v, shape.list, `${path}[${i}]`, problems));
  } else {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${path}: expected a mapping`);
      return;
    }
    const record = value as Record<string, unknown>;
    for (const [key, v] of Object.entries(record)) {
      const field = shape.fields[key];
      if (!field) problems.push(`${path}.${key} is not a field`);
      else check(v, field, `${path}.${key}`, problems);
    }
    for (const required of shape.required ?? []) if (record[required] === undefined) problems.push(`${path}.${required}: required`);
  }
}

export const isGatewayApi = (apiVersion: string) => apiVersion.startsWith('gateway.networking.k8s.io/');

/** Problems of one Gateway API object; empty when it uses only defined fields with valid values. */
export function gatewayApiProblems(obj: { apiVersion: string; kind: string }): string[] {
  const shape = KINDS[`${obj.apiVersion} ${obj.kind}`];
  if (!shape) return [`no schema for ${obj.apiVersion} ${obj.kind} (known: ${Object.keys(KINDS).join(', ')})`];
  const problems: string[] = [];
  check(obj, shape, '$', problems);
  return problems;
}
