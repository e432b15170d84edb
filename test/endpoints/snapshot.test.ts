// Istio's EDS rules as a table: which EndpointSlice endpoints end up in Envoy's load balancer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSnapshot } from '../../src/endpoints/snapshot.js';
import type { SliceEndpoint, SliceView } from '../../src/endpoints/slices.js';

function envoyHostsOf(e: Omit<SliceEndpoint, 'addresses'>, persistentSession: boolean): readonly string[] {
  const slice: SliceView = { ports: [{ name: 'http', port: 8080 }], endpoints: [{ ...e, addresses: ['10.0.0.1'] }] };
  return buildSnapshot({ synced: true, slices: [slice], port: { byName: 'http' }, drainRequested: new Set(), persistentSession }).envoyHosts;
}

describe('which endpoints Envoy holds (istiod endpointHealthStatus)', () => {
  const rows: { name: string; conditions: Omit<SliceEndpoint, 'addresses'>; plain: boolean; persistent: boolean }[] = [
    { name: 'ready', conditions: { ready: true, serving: true, terminating: false }, plain: true, persistent: true },
    { name: 'all conditions unset (ready)', conditions: {}, plain: true, persistent: true },
    { name: 'not ready', conditions: { ready: false, serving: false, terminating: false }, plain: false, persistent: false },
    { name: 'terminating, serving', conditions: { ready: false, serving: true, terminating: true }, plain: false, persistent: true },
    { name: 'terminating, not serving', conditions: { ready: false, serving: false, terminating: true }, plain: false, persistent: false },
    { name: 'ready and terminating (publishNotReadyAddresses)', conditions: { ready: true, serving: true, terminating: true }, plain: true, persistent: true },
    // istiod reads unset serving / terminating as true on this path.
    { name: 'not ready, serving and terminating unset', conditions: { ready: false }, plain: false, persistent: true },
  ];
  for (const row of rows) {
    it(`${row.name}: ${row.plain ? 'in' : 'out'} plain, ${row.persistent ? 'in' : 'out'} with persistent-session label`, () => {
      assert.deepEqual(envoyHostsOf(row.conditions, false), row.plain ? ['10.0.0.1:8080'] : []);
      assert.deepEqual(envoyHostsOf(row.conditions, true), row.persistent ? ['10.0.0.1:8080'] : []);
    });
  }

  it('reports conditions with the API defaults: serving unset = ready, terminating unset = false', () => {
    const slice: SliceView = { ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['10.0.0.1'], ready: false, podName: 'p' }] };
    const s = buildSnapshot({ synced: true, slices: [slice], port: { byName: 'http' }, drainRequested: new Set(['p']), persistentSession: false });
    assert.deepEqual(s.endpoints, [{ hostKey: '10.0.0.1:8080', podName: 'p', ready: false, serving: false, terminating: false, drainRequested: true }]);
  });

  it('an address in two slices takes the state of the later-updated slice', () => {
    const older: SliceView = { ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['10.0.0.1'], ready: false }] };
    const newer: SliceView = { ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['10.0.0.1'], ready: true }] };
    const snap = (slices: SliceView[]) => buildSnapshot({ synced: true, slices, port: { byName: 'http' }, drainRequested: new Set(), persistentSession: false });
    assert.deepEqual(snap([older, newer]).envoyHosts, ['10.0.0.1:8080']);
    assert.deepEqual(snap([newer, older]).envoyHosts, []);
    assert.equal(snap([older, newer]).endpoints.length, 1);
  });
});
