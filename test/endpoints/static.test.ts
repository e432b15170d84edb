import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostKey, parseHostKey, StaticEndpoints } from '../../src/endpoints/index.js';

describe('host keys (Envoy address strings)', () => {
  it('IPv4 as is, IPv6 bracketed in compressed lowercase form', () => {
    assert.equal(hostKey('10.1.2.3', 8080), '10.1.2.3:8080');
    assert.equal(hostKey('2001:DB8:0:0:0:0:0:1', 8080), '[2001:db8::1]:8080');
    assert.equal(parseHostKey('[2001:db8:0:0:1::1]:80'), '[2001:db8::1:0:0:1]:80');
  });

  it('rejects hostnames, bad ports and unbracketed IPv6', () => {
    for (const bad of ['pod-1:8080', '10.0.0.1', '10.0.0.1:0', '10.0.0.1:70000', '2001:db8::1:80', '[10.0.0.1]:80', '[fe80::1%eth0]:80'])
      assert.throws(() => parseHostKey(bad), /endpoint must be/, bad);
  });
});

describe('StaticEndpoints', () => {
  it('all ready, deduplicated and sorted, synced without starting', async () => {
    const src = new StaticEndpoints(['10.0.0.2:8080', '10.0.0.1:8080', '10.0.0.2:8080', '[2001:db8::1]:8080']);
    assert.deepEqual(src.snapshot().envoyHosts, ['10.0.0.1:8080', '10.0.0.2:8080', '[2001:db8::1]:8080']);
    assert.equal(src.snapshot().synced, true);
    assert.deepEqual(src.snapshot().endpoints[0], { hostKey: '10.0.0.1:8080', ready: true, serving: true, terminating: false, drainRequested: false });
    await src.start();
    await src.stop();
  });

  it('a bad entry fails at construction', () => {
    assert.throws(() => new StaticEndpoints(['10.0.0.1:8080', 'nope']), /endpoint must be/);
  });
});
