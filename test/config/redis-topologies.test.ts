// store.redis topologies in config: standalone (url), Sentinel and Cluster, each with clear
// `path: message` errors for what cannot work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkedAgainst, parseConfig } from '../../src/config/index.js';

const SERVERS = { servers: [{ name: 'files', match: { hosts: ['mcp.example.com'] } }] };
const parse = (store: Record<string, unknown>) => parseConfig(JSON.stringify({ ...SERVERS, store: { kind: 'redis', ...store } }));
const problems = (store: Record<string, unknown>) => {
  const r = parse(store);
  assert.equal(r.ok, false, 'should be refused');
  return r.ok ? [] : r.problems;
};

test('Sentinel and Cluster parse, with their defaults, and need no URL', () => {
  const s = parse({ sentinel: { addresses: ['redis-sentinel-0.redis-sentinel:26379', '[::1]:26379'], masterName: 'mcpgw' }, bindingWrites: { waitReplicas: 1, waitTimeoutMs: 50 } });
  assert.ok(s.ok && s.config.store.kind === 'redis');
  assert.deepEqual(s.config.store.sentinel, { addresses: ['redis-sentinel-0.redis-sentinel:26379', '[::1]:26379'], masterName: 'mcpgw', tls: false });
  assert.deepEqual(s.config.store.bindingWrites, { waitReplicas: 1, waitTimeoutMs: 50 });
  assert.ok(checkedAgainst(s, {}).ok, 'no MCPGW_REDIS_URL needed');
  const c = parse({ cluster: { nodes: ['10.0.0.1:6379'] } });
  assert.ok(c.ok && c.config.store.kind === 'redis');
  assert.deepEqual(c.config.store.cluster, { nodes: ['10.0.0.1:6379'], slotGroups: 16, tls: false });
  assert.ok(checkedAgainst(c, {}).ok);
});

test('one topology at a time', () => {
  assert.deepEqual(problems({ url: 'redis://r:6379', cluster: { nodes: ['r:6379'] } }), ['store.cluster: choose one topology: url and cluster both set']);
  assert.deepEqual(problems({ sentinel: { addresses: ['s:26379'], masterName: 'm' }, cluster: { nodes: ['r:6379'] } }), ['store.cluster: choose one topology: sentinel and cluster both set']);
});

test('addresses are host:port, and lists are not empty', () => {
  assert.deepEqual(problems({ cluster: { nodes: ['redis-0'] } }), ['store.cluster.nodes.0: must be "host:port", got "redis-0"']);
  assert.deepEqual(problems({ cluster: { nodes: ['r:99999'] } }), ['store.cluster.nodes.0: must be "host:port", got "r:99999"']);
  assert.deepEqual(problems({ sentinel: { addresses: [], masterName: 'm' } }), ['store.sentinel.addresses: list at least one "host:port"']);
});

test('Cluster key prefixes hold no hash tag, and WAIT stays below the command timeout', () => {
  assert.deepEqual(problems({ cluster: { nodes: ['r:6379'] }, keyPrefix: 'a{b}:' }), ['store.keyPrefix: may not contain "{" or "}" with cluster: mcpgw chooses the hash tags']);
  assert.deepEqual(problems({ url: 'redis://r', commandTimeoutMs: 200, limitWrites: { waitReplicas: 1, waitTimeoutMs: 200 } }), ['store.limitWrites.waitTimeoutMs: must be less than commandTimeoutMs (200)']);
  assert.ok(parse({ url: 'redis://r', keyPrefix: 'a{b}:' }).ok, 'braces are fine outside Cluster');
});
