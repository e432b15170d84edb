// List results filtered per caller: each list kind, pagination, cacheScope, JSON bodies and batches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterJsonBody, filterListResult, isFilteredList, type ListedItem } from '../../src/mcp/listFilter.js';

const hidden = new Set(['delete_everything', 'secret', 'file:///secret.txt', 'db://secret/{table}']);
const visible = (item: ListedItem) => !hidden.has(item.name);
const seen: ListedItem[] = [];
const recording = (item: ListedItem) => (seen.push(item), visible(item));

const response = <R>(result: R, id: string | number = 1) => ({ jsonrpc: '2.0', id, result });
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const parse = (b: Uint8Array | undefined) => (b === undefined ? undefined : JSON.parse(new TextDecoder().decode(b)));

test('tools/list: hidden tools are dropped, the rest and nextCursor kept as they were', () => {
  const msg = response({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }, { name: 'delete_everything', inputSchema: { type: 'object' } }], nextCursor: 'page2' });
  const r = filterListResult('tools/list', msg, visible);
  assert.equal(r.changed, true);
  assert.deepEqual(r.message, response({ tools: [{ name: 'echo', inputSchema: { type: 'object' } }], nextCursor: 'page2' }));
  assert.equal(msg.result.tools.length, 2, 'the input is not mutated');
});

test('each list kind is judged by its own key and kind', () => {
  seen.length = 0;
  filterListResult('prompts/list', response({ prompts: [{ name: 'greet' }] }), recording);
  filterListResult('resources/list', response({ resources: [{ uri: 'file:///a', name: 'a' }] }), recording);
  filterListResult('resources/templates/list', response({ resourceTemplates: [{ uriTemplate: 'db://{t}', name: 't' }] }), recording);
  filterListResult('tools/list', response({ tools: [{ name: 'echo' }] }), recording);
  assert.deepEqual(seen, [
    { kind: 'prompt', name: 'greet' },
    { kind: 'resource', name: 'file:///a' },
    { kind: 'resourceTemplate', name: 'db://{t}' },
    { kind: 'tool', name: 'echo' },
  ]);
});

test('resources and templates are filtered by URI, not display name', () => {
  const r = filterListResult('resources/list', response({ resources: [{ uri: 'file:///secret.txt', name: 'ok' }, { uri: 'file:///ok', name: 'secret' }] }), visible);
  assert.deepEqual((r.message as { result: unknown }).result, { resources: [{ uri: 'file:///ok', name: 'secret' }] });
  const t = filterListResult('resources/templates/list', response({ resourceTemplates: [{ uriTemplate: 'db://secret/{table}', name: 'x' }] }), visible);
  assert.deepEqual((t.message as { result: unknown }).result, { resourceTemplates: [] });
});

test('an entry without its key cannot be judged and is dropped', () => {
  const r = filterListResult('tools/list', response({ tools: [{ title: 'no name' }, 'junk', { name: 42 }, { name: 'echo' }] }), visible);
  assert.deepEqual((r.message as { result: unknown }).result, { tools: [{ name: 'echo' }] });
});

test('a page whose entries are all hidden comes back empty with its cursor', () => {
  const r = filterListResult('tools/list', response({ tools: [{ name: 'secret' }], nextCursor: 'c3' }), visible);
  assert.deepEqual((r.message as { result: unknown }).result, { tools: [], nextCursor: 'c3' });
});

test('nothing hidden: unchanged, the same object back', () => {
  const msg = response({ tools: [{ name: 'echo' }], nextCursor: 'x' });
  const r = filterListResult('tools/list', msg, visible);
  assert.equal(r.changed, false);
  assert.equal(r.message, msg);
});

test('cacheScope public becomes private, even when nothing was hidden', () => {
  const r = filterListResult('tools/list', response({ tools: [{ name: 'echo' }], ttlMs: 60000, cacheScope: 'public', resultType: 'complete' }), visible);
  assert.equal(r.changed, true);
  assert.deepEqual((r.message as { result: unknown }).result, { tools: [{ name: 'echo' }], ttlMs: 60000, cacheScope: 'private', resultType: 'complete' });
});

test('cacheScope private stays', () => {
  const r = filterListResult('tools/list', response({ tools: [{ name: 'secret' }], ttlMs: 0, cacheScope: 'private' }), visible);
  assert.deepEqual((r.message as { result: unknown }).result, { tools: [], ttlMs: 0, cacheScope: 'private' });
});

test('errors, other methods and odd shapes pass unchanged', () => {
  const error = { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } };
  assert.equal(filterListResult('tools/list', error, visible).message, error);
  const call = response({ content: [{ type: 'text', text: 'secret' }] });
  assert.equal(filterListResult('tools/call', call, visible).changed, false);
  assert.equal(filterListResult('tools/list', 'not an object', visible).changed, false);
  assert.equal(filterListResult('tools/list', response({ tools: 'nope' }), visible).changed, false);
});

test('isFilteredList names the four list methods', () => {
  assert.deepEqual(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'tools/call', 'initialize'].map(isFilteredList), [true, true, true, true, false, false]);
});

test('JSON body: the response with the request id is filtered and re-serialized', () => {
  const out = filterJsonBody(bytes(response({ tools: [{ name: 'echo' }, { name: 'secret' }] }, 'req-1')), 'tools/list', 'req-1', visible);
  assert.deepEqual(parse(out), response({ tools: [{ name: 'echo' }] }, 'req-1'));
});

test('JSON body: unchanged or another id → undefined (forward the original bytes)', () => {
  assert.equal(filterJsonBody(bytes(response({ tools: [{ name: 'echo' }] }, 7)), 'tools/list', 7, visible), undefined);
  assert.equal(filterJsonBody(bytes(response({ tools: [{ name: 'secret' }] }, 7)), 'tools/list', '7', visible), undefined);
  assert.equal(filterJsonBody(new TextEncoder().encode('{"jsonrpc":"2.0",'), 'tools/list', 7, visible), undefined);
});

test('JSON body: a batch has only its matching response filtered', () => {
  const batch = [response({ tools: [{ name: 'secret' }] }, 1), response({ tools: [{ name: 'secret' }] }, 2), { jsonrpc: '2.0', method: 'notifications/message', params: {} }];
  assert.deepEqual(parse(filterJsonBody(bytes(batch), 'tools/list', 2, visible)), [batch[0], response({ tools: [] }, 2), batch[2]]);
});

test('JSON body: a null request id filters every response', () => {
  const batch = [response({ tools: [{ name: 'secret' }] }, 1), response({ tools: [{ name: 'echo' }, { name: 'secret' }] }, 2)];
  assert.deepEqual(parse(filterJsonBody(bytes(batch), 'tools/list', null, visible)), [response({ tools: [] }, 1), response({ tools: [{ name: 'echo' }] }, 2)]);
});

test('JSON body: non-ASCII text survives the round trip', () => {
  const out = filterJsonBody(bytes(response({ tools: [{ name: 'écho', description: 'größe ✓ 🎉' }, { name: 'secret' }] })), 'tools/list', 1, visible);
  assert.deepEqual(parse(out), response({ tools: [{ name: 'écho', description: 'größe ✓ 🎉' }] }));
});
