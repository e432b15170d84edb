import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListenAddress } from '../../src/config/index.js';

test('parses IPv4, host names and bracketed IPv6; port 0 allowed', () => {
  assert.deepEqual(parseListenAddress('0.0.0.0:9001'), { host: '0.0.0.0', port: 9001 });
  assert.deepEqual(parseListenAddress('localhost:0'), { host: 'localhost', port: 0 });
  assert.deepEqual(parseListenAddress('[::]:9001'), { host: '::', port: 9001 });
  assert.deepEqual(parseListenAddress('[::1]:65535'), { host: '::1', port: 65535 });
});

test('refuses what cannot be bound unambiguously', () => {
  for (const s of ['9001', ':9001', '0.0.0.0', '0.0.0.0:', '0.0.0.0:65536', '0.0.0.0:-1', '0.0.0.0: 90', '0.0.0.0:0x10',
    '::1:9001', '[::1]', '[nope]:1', 'a b:1', '999.1.1.1:80', 'host_name:80']) {
    assert.equal(parseListenAddress(s), undefined, s);
  }
});
