// Creates and deletes over HTTP, as the API server takes them, for the kinds mcpgw's provisioning
// writes: Services and MCPServers (kept in the main store, so watches and reads see them), StatefulSets,
// Deployments and Istio DestinationRules (kept here; nothing watches them). POST answers 201 with the stored object
// or 409 AlreadyExists; DELETE honours DeleteOptions.preconditions.uid (409 Conflict on a mismatch) and
// answers 404 for a missing object. Every create and delete is recorded, so a test can compare them.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, ObjectStore, Resource } from './store.js';

export interface WrittenObject {
  kind: string;
  namespace: string;
  name: string;
  /** The object as the client sent it (creates only). */
  object?: KubeObject;
}

export interface FakeWrites {
  /** Every object created over HTTP, in order, as sent. */
  readonly created: readonly WrittenObject[];
  /** Every object deleted over HTTP, in order. */
  readonly deleted: readonly WrittenObject[];
  /** A created object still present (StatefulSet, Deployment, DestinationRule, Service or MCPServer). */
  get(kind: string, namespace: string, name: string): KubeObject | undefined;
}

const ROUTES: Array<{ pattern: RegExp; kind: string; apiVersion: string }> = [
  { pattern: /^\/api\/v1\/namespaces\/(?<ns>[^/]+)\/services(?:\/(?<name>[^/]+))?$/, kind: 'Service', apiVersion: 'v1' },
  { pattern: /^\/apis\/apps\/v1\/namespaces\/(?<ns>[^/]+)\/statefulsets(?:\/(?<name>[^/]+))?$/, kind: 'StatefulSet', apiVersion: 'apps/v1' },
  { pattern: /^\/apis\/apps\/v1\/namespaces\/(?<ns>[^/]+)\/deployments(?:\/(?<name>[^/]+))?$/, kind: 'Deployment', apiVersion: 'apps/v1' },
  { pattern: /^\/apis\/networking\.istio\.io\/v1\/namespaces\/(?<ns>[^/]+)\/destinationrules(?:\/(?<name>[^/]+))?$/, kind: 'DestinationRule', apiVersion: 'networking.istio.io/v1' },
  { pattern: /^\/apis\/mcpgw\.io\/v1alpha1\/namespaces\/(?<ns>[^/]+)\/mcpservers(?:\/(?<name>[^/]+))?$/, kind: 'MCPServer', apiVersion: 'mcpgw.io/v1alpha1' },
];
/** Kinds the main store holds (read, listed and watched by the main server). */
const IN_MAIN_STORE: Record<string, Resource> = { Service: 'services', MCPServer: 'mcpservers' };

type Send = (res: ServerResponse, code: number, body: unknown) => void;

export function fakeWrites(store: ObjectStore, send: Send): FakeWrites & { handle(req: IncomingMessage, res: ServerResponse, path: string): boolean } {
  const created: WrittenObject[] = [];
  const deleted: WrittenObject[] = [];
  const others = new Map<string, KubeObject>();
  const key = (kind: string, ns: string, name: string) => `${kind}/${ns}/${name}`;
  const get = (kind: string, ns: string, name: string): KubeObject | undefined => {
    const resource = IN_MAIN_STORE[kind];
    return resource ? store.get(resource, ns, name) : structuredClone(others.get(key(kind, ns, name)));
  };
  const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });

  function readJson(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve(text ? JSON.parse(text) : undefined);
        } catch {
          resolve(null);
        }
      });
    });
  }

  async function create(req: IncomingMessage, res: ServerResponse, route: (typeof ROUTES)[number], ns: string): Promise<void> {
    const body = (await readJson(req)) as KubeObject | null | undefined;
    if (!body || body.kind !== route.kind || body.apiVersion !== route.apiVersion || !body.metadata?.name) return send(res, 400, status(400, 'BadRequest', `expected a ${route.apiVersion} ${route.kind} with metadata.name`));
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== ns) return send(res, 400, status(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request'));
    const name = body.metadata.name;
    if (get(route.kind, ns, name)) return send(res, 409, status(409, 'AlreadyExists', `${route.kind.toLowerCase()}s "${name}" already exists`));
    created.push({ kind: route.kind, namespace: ns, name, object: structuredClone(body) });
    const resource = IN_MAIN_STORE[route.kind];
    // A new custom resource starts at generation 1, as the API server sets it.
    if (resource) return send(res, 201, store.upsert(resource, ns, route.kind === 'MCPServer' ? { ...body, metadata: { ...body.metadata, generation: 1 } } : body));
    const stored: KubeObject = { ...structuredClone(body), metadata: { ...body.metadata, namespace: ns, uid: randomUUID(), resourceVersion: '1', creationTimestamp: new Date().toISOString() } };
    others.set(key(route.kind, ns, name), stored);
    send(res, 201, stored);
  }

  async function remove(req: IncomingMessage, res: ServerResponse, route: (typeof ROUTES)[number], ns: string, name: string): Promise<void> {
    const options = (await readJson(req)) as { preconditions?: { uid?: string } } | null | undefined;
    const current = get(route.kind, ns, name);
    if (!current) return send(res, 404, status(404, 'NotFound', `${route.kind.toLowerCase()}s "${name}" not found`));
    const uid = options?.preconditions?.uid;
    if (uid !== undefined && uid !== current.metadata.uid) return send(res, 409, status(409, 'Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`));
    const resource = IN_MAIN_STORE[route.kind];
    if (resource) store.delete(resource, ns, name);
    else others.delete(key(route.kind, ns, name));
    deleted.push({ kind: route.kind, namespace: ns, name });
    send(res, 200, current);
  }

  return {
    created,
    deleted,
    get,
    handle(req, res, path) {
      const match = ROUTES.map((r) => ({ r, g: r.pattern.exec(path)?.groups })).find((m) => m.g);
      if (!match?.g?.ns) return false;
      const { ns, name } = match.g;
      if (req.method === 'POST' && !name) return void create(req, res, match.r, ns), true;
      if (req.method === 'DELETE' && name) return void remove(req, res, match.r, ns, name), true;
      // Services and MCPServers are read, listed and watched by the main server; the other kinds only read here.
      if (req.method === 'GET' && name && !IN_MAIN_STORE[match.r.kind]) {
        const o = get(match.r.kind, ns, name);
        send(res, o ? 200 : 404, o ?? status(404, 'NotFound', `${match.r.kind.toLowerCase()}s "${name}" not found`));
        return true;
      }
      return false;
    },
  };
}
