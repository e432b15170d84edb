// A small Kubernetes API server for tests, speaking the real list / get / watch wire format for
// EndpointSlices, Pods, Services and mcpgw's MCPServers (with their status subresource, written by
// merge-patch as mcpgw does): JSON lists with metadata.resourceVersion, newline-delimited
// watch events, labelSelector, resourceVersion (410 Gone when compacted away), allowWatchBookmarks,
// timeoutSeconds, bearer-token auth. Objects change only through the test API, never over HTTP.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { parseLabelSelector, type Labels } from './labelSelector.js';
import { ObjectStore, type KubeObject, type Resource, type StoreEvent } from './store.js';
import { fakeWrites, type FakeWrites } from './writes.js';

export interface FakeKubeOptions {
  /** Bearer token clients must send. Default "fake-token". */
  token?: string;
  /** Interval of BOOKMARK events on watches that allow them. Default 5000 ms. */
  bookmarkIntervalMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  watch: boolean;
}

export interface FakeKube {
  readonly url: string;
  readonly token: string;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** A KubeConfig pointing at this server (http, bearer token). */
  kubeConfig(): KubeConfig;
  /** The same as a kubeconfig file's text. */
  kubeconfigYaml(): string;
  upsertSlice(namespace: string, slice: KubeObject): KubeObject;
  deleteSlice(namespace: string, name: string): boolean;
  upsertPod(namespace: string, pod: KubeObject): KubeObject;
  deletePod(namespace: string, name: string): boolean;
  setService(namespace: string, service: KubeObject): KubeObject;
  deleteService(namespace: string, name: string): boolean;
  /** Creates or replaces an MCPServer's spec (its status is kept, and generation moves only when the spec changes). */
  upsertMcpServer(namespace: string, obj: KubeObject): KubeObject;
  deleteMcpServer(namespace: string, name: string): boolean;
  mcpServer(namespace: string, name: string): KubeObject | undefined;
  /** Open watch streams, optionally of one resource. */
  openWatches(resource?: Resource): number;
  /** Cuts every open watch connection (simulated connection loss); returns how many. */
  dropWatches(): number;
  /** The next n requests (of one resource, when given) fail with this HTTP status and a Status body. */
  failNext(n: number, status?: number, resource?: Resource): void;
  /** Old resourceVersions expire: a watch from before now gets 410 Gone. */
  compact(): void;
  close(): Promise<void>;
  /** Objects created and deleted over HTTP (provisioning: Services, workloads, DestinationRules). */
  readonly writes: FakeWrites;
}

const KINDS: Record<Resource, { apiVersion: string; kind: string }> = {
  endpointslices: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  services: { apiVersion: 'v1', kind: 'Service' },
  mcpservers: { apiVersion: 'mcpgw.io/v1alpha1', kind: 'MCPServer' },
};

const ROUTES = [
  /^\/api\/v1\/(?:namespaces\/(?<ns>[^/]+)\/)?(?<resource>pods|services)(?:\/(?<name>[^/]+))?$/,
  /^\/apis\/discovery\.k8s\.io\/v1\/(?:namespaces\/(?<ns>[^/]+)\/)?(?<resource>endpointslices)(?:\/(?<name>[^/]+))?$/,
  /^\/apis\/mcpgw\.io\/v1alpha1\/(?:namespaces\/(?<ns>[^/]+)\/)?(?<resource>mcpservers)(?:\/(?<name>[^/]+)(?<status>\/status)?)?$/,
];

interface OpenWatch {
  resource: Resource;
  res: ServerResponse;
}

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const token = options.token ?? 'fake-token';
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 5000;
  const store = new ObjectStore();
  const writes = fakeWrites(store, sendJson);
  const requests: RecordedRequest[] = [];
  const watches = new Set<OpenWatch>();
  const failures: { remaining: number; status: number; resource: Resource | undefined }[] = [];

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      sendStatus(res, 500, 'InternalError', String(err));
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const isWatch = query.watch === 'true' || query.watch === '1';
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query, watch: isWatch });
    if (req.headers.authorization !== `Bearer ${token}`) return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
    if (writes.handle(req, res, url.pathname)) return;
    const route = ROUTES.map((r) => r.exec(url.pathname)?.groups).find(Boolean);
    if (!route || (route.name && !route.ns)) return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource`);
    const resource = route.resource as Resource;
    const failure = failures.find((f) => f.resource === undefined || f.resource === resource);
    if (failure) {
      if (--failure.remaining <= 0) failures.splice(failures.indexOf(failure), 1);
      return sendStatus(res, failure.status, 'InternalError', `injected failure (${failure.status})`);
    }
    if (req.method === 'PATCH' && route.status && route.ns && route.name) return patchStatus(req, res, resource, route.ns, route.name);
    if (req.method !== 'GET') return sendStatus(res, 405, 'MethodNotAllowed', 'the fake API server serves GET, and PATCH of a status subresource');
    const ns = route.ns;
    if (route.name) {
      const obj = store.get(resource, ns!, route.name);
      if (!obj) return sendStatus(res, 404, 'NotFound', `${resource} "${route.name}" not found`);
      return sendJson(res, 200, obj);
    }
    const matches = parseLabelSelector(url.searchParams.get('labelSelector'));
    if (isWatch) return serveWatch(res, resource, ns, matches, query);
    const items = store.list(resource, ns).filter((o) => matches(o.metadata.labels));
    sendJson(res, 200, {
      apiVersion: KINDS[resource].apiVersion,
      kind: `${KINDS[resource].kind}List`,
      metadata: { resourceVersion: String(store.resourceVersion) },
      // Items of a list response carry no apiVersion / kind.
      items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
    });
  }

  /** A merge-patch of `status` only, as the status subresource takes it: spec and generation stay. */
  function patchStatus(req: IncomingMessage, res: ServerResponse, resource: Resource, ns: string, name: string): void {
    if (!String(req.headers['content-type']).startsWith('application/merge-patch+json')) return sendStatus(res, 415, 'UnsupportedMediaType', `unsupported patch type ${String(req.headers['content-type'])}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const current = store.get(resource, ns, name);
      if (!current) return sendStatus(res, 404, 'NotFound', `${resource} "${name}" not found`);
      let patch: { status?: Record<string, unknown> };
      try {
        patch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof patch;
      } catch {
        return sendStatus(res, 400, 'BadRequest', 'the patch is not JSON');
      }
      const status = mergePatch((current['status'] as Record<string, unknown> | undefined) ?? {}, patch.status ?? {});
      sendJson(res, 200, store.upsert(resource, ns, { ...current, status }));
    });
  }

  function serveWatch(res: ServerResponse, resource: Resource, ns: string | undefined, matches: (l: Labels) => boolean, query: Record<string, string>): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const send = (type: string, object: unknown): void => void res.write(`${JSON.stringify({ type, object })}\n`);
    const forward = (e: StoreEvent): void => {
      if (e.resource !== resource || (ns !== undefined && e.namespace !== ns)) return;
      const seen = translate(e, matches);
      if (seen) send(seen, e.object);
    };
    const from = query.resourceVersion;
    if (!from || from === '0') {
      // No resourceVersion: the current state as synthetic ADDED events, then changes.
      for (const o of store.list(resource, ns)) if (matches(o.metadata.labels)) send('ADDED', o);
    } else {
      const events = /^\d+$/.test(from) ? store.eventsAfter(Number(from)) : 'expired';
      if (events === 'expired') {
        send('ERROR', status(410, 'Expired', `too old resource version: ${from} (${store.resourceVersion})`));
        res.end();
        return;
      }
      events.forEach(forward);
    }
    const unsubscribe = store.subscribe(forward);
    const bookmark = (): void => send('BOOKMARK', { ...KINDS[resource], metadata: { resourceVersion: String(store.resourceVersion) } });
    const bookmarks = query.allowWatchBookmarks === 'true' ? setInterval(bookmark, bookmarkIntervalMs) : undefined;
    const timeoutSeconds = Number(query.timeoutSeconds);
    const timeout =
      timeoutSeconds > 0
        ? setTimeout(() => {
            if (bookmarks) bookmark();
            res.end();
          }, timeoutSeconds * 1000)
        : undefined;
    const open: OpenWatch = { resource, res };
    watches.add(open);
    res.on('close', () => {
      watches.delete(open);
      unsubscribe();
      clearInterval(bookmarks);
      clearTimeout(timeout);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const kubeconfig = {
    clusters: [{ name: 'fake', server: url, skipTLSVerify: true }],
    users: [{ name: 'fake', token }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  };

  const withKind = (resource: Resource, obj: KubeObject): KubeObject => ({ ...obj, ...KINDS[resource] });

  return {
    url,
    token,
    requests,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions(structuredClone(kubeconfig));
      return kc;
    },
    kubeconfigYaml() {
      return [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        // client-node refuses plain http unless TLS verification is explicitly off.
        `- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true`,
        'users:',
        `- name: fake\n  user:\n    token: ${token}`,
        'contexts:',
        '- name: fake\n  context:\n    cluster: fake\n    user: fake',
        'current-context: fake',
        '',
      ].join('\n');
    },
    upsertSlice: (ns, slice) => store.upsert('endpointslices', ns, withKind('endpointslices', slice)),
    deleteSlice: (ns, name) => store.delete('endpointslices', ns, name),
    upsertPod: (ns, pod) => store.upsert('pods', ns, withKind('pods', pod)),
    deletePod: (ns, name) => store.delete('pods', ns, name),
    setService: (ns, svc) => store.upsert('services', ns, withKind('services', svc)),
    deleteService: (ns, name) => store.delete('services', ns, name),
    upsertMcpServer(ns, obj) {
      const current = store.get('mcpservers', ns, obj.metadata.name);
      const sameSpec = current && JSON.stringify(current['spec']) === JSON.stringify(obj['spec']);
      const generation = sameSpec ? current.metadata.generation : (current?.metadata.generation ?? 0) + 1;
      const { status: _ignored, ...spec } = obj;
      return store.upsert('mcpservers', ns, { ...withKind('mcpservers', spec as KubeObject), metadata: { ...obj.metadata, generation }, ...(current?.['status'] ? { status: current['status'] } : {}) });
    },
    deleteMcpServer: (ns, name) => store.delete('mcpservers', ns, name),
    mcpServer: (ns, name) => store.get('mcpservers', ns, name),
    openWatches: (resource) => [...watches].filter((w) => resource === undefined || w.resource === resource).length,
    dropWatches() {
      const n = watches.size;
      for (const w of [...watches]) w.res.destroy();
      return n;
    },
    failNext(n, status = 500, resource) {
      if (n > 0) failures.push({ remaining: n, status, resource });
    },
    compact: () => store.compact(),
    writes,
    async close() {
      for (const w of [...watches]) w.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a watcher with this selector sees of a change: objects entering or leaving the selection are ADDED / DELETED. */
function translate(e: StoreEvent, matches: (l: Labels) => boolean): StoreEvent['type'] | undefined {
  const was = e.previous !== undefined && matches(e.previous.metadata.labels);
  if (e.type === 'DELETED') return was ? 'DELETED' : undefined;
  const is = matches(e.object.metadata.labels);
  if (is) return was ? 'MODIFIED' : 'ADDED';
  return was ? 'DELETED' : undefined;
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, status(code, reason, message));
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** RFC 7386: objects merge key by key, null removes, anything else replaces. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null && !Array.isArray(out[k])) out[k] = mergePatch(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}
