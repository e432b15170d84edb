// The fake API server speaks the wire format the real one does, seen with a plain HTTP client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { endpointSlice, startFakeKube, type FakeKube } from '../fake-kube/index.js';

const PATH = '/apis/discovery.k8s.io/v1/namespaces/mcp/endpointslices';
const SELECTOR = 'kubernetes.io/service-name=svc';

interface WatchEvent {
  type: string;
  object: { code?: number; metadata?: { name?: string; resourceVersion?: string } };
}

describe('fake Kubernetes API server', () => {
  let kube: FakeKube;
  const get = (path: string) => fetch(`${kube.url}${path}`, { headers: { authorization: `Bearer ${kube.token}` } });

  /** Reads watch events until `count` arrived or the server ended the stream. */
  async function watch(query: string, count: number, during?: () => void): Promise<WatchEvent[]> {
    const res = await get(`${PATH}?watch=true&${query}`);
    assert.equal(res.status, 200);
    during?.();
    const events: WatchEvent[] = [];
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line) events.push(JSON.parse(line) as WatchEvent);
    }
    await reader.cancel();
    return events;
  }

  before(async () => {
    kube = await startFakeKube({ bookmarkIntervalMs: 20 });
    kube.upsertSlice('mcp', endpointSlice({ name: 'a', service: 'svc', endpoints: [{ addresses: ['10.0.0.1'] }] }));
    kube.upsertSlice('mcp', endpointSlice({ name: 'b', service: 'other', endpoints: [{ addresses: ['10.0.0.2'] }] }));
  });
  after(() => kube.close());

  it('lists with metadata.resourceVersion, honouring labelSelector', async () => {
    const body = (await (await get(`${PATH}?labelSelector=${encodeURIComponent(SELECTOR)}`)).json()) as {
      kind: string;
      metadata: { resourceVersion: string };
      items: { metadata: { name: string; resourceVersion: string } }[];
    };
    assert.equal(body.kind, 'EndpointSliceList');
    assert.match(body.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(body.items.map((i) => i.metadata.name), ['a']);
  });

  it('rejects a request without the bearer token (401 Status)', async () => {
    const res = await fetch(`${kube.url}${PATH}`);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { kind: string }).kind, 'Status');
  });

  it('watch without resourceVersion: current objects as ADDED, then changes; label changes become ADDED / DELETED', async () => {
    const events = await watch(`labelSelector=${encodeURIComponent(SELECTOR)}`, 3, () => {
      kube.upsertSlice('mcp', endpointSlice({ name: 'b', service: 'svc', endpoints: [{ addresses: ['10.0.0.2'] }] }));
      kube.upsertSlice('mcp', endpointSlice({ name: 'b', service: 'other', endpoints: [{ addresses: ['10.0.0.2'] }] }));
    });
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED a', 'ADDED b', 'DELETED b']);
  });

  it('watch from a resourceVersion replays what came after it; after compact() it answers 410 Gone', async () => {
    const rv = kube.upsertSlice('mcp', endpointSlice({ name: 'c', service: 'svc', endpoints: [] })).metadata.resourceVersion!;
    kube.deleteSlice('mcp', 'c');
    const replay = await watch(`resourceVersion=${rv}`, 1);
    assert.deepEqual(replay.map((e) => `${e.type} ${e.object.metadata?.name}`), ['DELETED c']);
    kube.upsertSlice('mcp', endpointSlice({ name: 'd', service: 'svc', endpoints: [] }));
    kube.compact();
    const gone = await watch(`resourceVersion=${rv}`, 5);
    assert.deepEqual(gone.map((e) => [e.type, e.object.code]), [['ERROR', 410]]);
  });

  it('sends BOOKMARKs when allowed and ends the stream at timeoutSeconds', async () => {
    const events = await watch(`resourceVersion=${kube.upsertSlice('mcp', endpointSlice({ name: 'e', service: 'x', endpoints: [] })).metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=1`, 1000);
    assert.ok(events.length > 0 && events.every((e) => e.type === 'BOOKMARK'));
  });

  it('failNext answers the next requests with the given status', async () => {
    kube.failNext(2, 503, 'endpointslices');
    assert.equal((await get(PATH)).status, 503);
    assert.equal((await get('/api/v1/namespaces/mcp/pods')).status, 200, 'other resources unaffected');
    assert.equal((await get(PATH)).status, 503);
    assert.equal((await get(PATH)).status, 200);
  });
});
