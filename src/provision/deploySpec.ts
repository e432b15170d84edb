// The `deploy` block of register_server / ApplyServer: what to run for a server (image, environment,
// replicas, port) and where. Validated here, before anything reaches the Kubernetes API; environment
// values come from Secrets by reference, and a literal value whose name looks like a credential is refused.
import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
/** Names that usually hold credentials: their values must come from a Secret. */
const SECRET_LOOKING = /(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)/i;
/** name[:tag]@sha256:<64 hex>: the image the digest names, whatever the tag says. */
const PINNED = /@sha256:[0-9a-f]{64}$/;
/** An OCI reference: no whitespace or control characters, bounded. */
const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;

const k8sName = (what: string) => z.string().max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { error: `${what} must be a Kubernetes object name` });

const secretKeyRef = z
  .strictObject({
    name: k8sName('secret.name').describe('Secret in the server\'s namespace.'),
    key: z.string().min(1).max(253).regex(/^[-._a-zA-Z0-9]+$/, { error: 'secret.key must be a Secret data key' }).describe('Key of the Secret\'s data.'),
  })
  .describe('Where the value comes from: a Secret key (valueFrom.secretKeyRef). The value is never read by mcpgw.');

const envVar = z
  .strictObject({
    name: z.string().min(1).max(256).regex(ENV_NAME, { error: 'must be an environment variable name' }),
    value: z.string().max(4096).optional().describe('A literal, non-secret value (shown in the workload object).'),
    secret: secretKeyRef.optional(),
  })
  .refine((e) => (e.value === undefined) !== (e.secret === undefined), { error: 'set exactly one of value and secret' })
  .refine((e) => e.value === undefined || !SECRET_LOOKING.test(e.name), {
    // The message never repeats the value: it may be the very secret we refuse to store.
    error: (iss) => `${String((iss.input as { name?: unknown }).name)} looks like a credential: give it as secret: {name, key} (a Secret reference), never as a literal value`,
  });

export const deploySchema = z
  .strictObject({
    namespace: z.string().max(63).regex(DNS_LABEL, { error: 'must be a namespace name' }).describe('Namespace to deploy into; must be one of provisioning.namespaces.'),
    image: z.string().min(1).max(512).regex(IMAGE, { error: 'must be an image reference such as ghcr.io/org/server@sha256:<digest>' }).describe('Container image; pinned by digest when provisioning.requireDigest is on.'),
    port: z.int().min(1).max(65535).default(8080).describe('Port the server serves Streamable HTTP MCP on.'),
    replicas: z.int().min(1).max(50).default(1).describe('Pods to run.'),
    workload: z.enum(['StatefulSet', 'Deployment']).optional().describe('Default: provisioning.workload.'),
    env: z.array(envVar).max(100).default([]).describe('Environment: literal non-secret values, or Secret key references.'),
    envFrom: z
      .array(z.strictObject({ secret: k8sName('envFrom.secret') }))
      .max(20)
      .default([])
      .describe('Secrets whose every key becomes an environment variable (envFrom.secretRef).'),
  })
  .describe('Deploy the server onto Kubernetes (needs provisioning.enabled).');

export type DeploySpec = z.output<typeof deploySchema>;

export function isPinned(image: string): boolean {
  return PINNED.test(image);
}
