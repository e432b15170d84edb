import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadXxh64, type Xxh64 } from '../../src/routing/index.js';
import { vectors } from './vectors.js';

describe('XXH64 (Envoy HashUtil::xxHash64)', () => {
  let xxh: Xxh64;
  before(async () => {
    xxh = await loadXxh64();
  });

  for (const v of vectors.xxh64) {
    it(`hashes ${JSON.stringify(v.input)} (${v.utf8_length} UTF-8 bytes) with seeds 0 and 1`, () => {
      assert.equal(Buffer.byteLength(v.input, 'utf8'), v.utf8_length);
      assert.equal(xxh.hash(v.input), BigInt(v.seed0));
      assert.equal(xxh.hash(v.input, 0), BigInt(v.seed0));
      assert.equal(xxh.hash(v.input, 1n), BigInt(v.seed1));
      assert.equal(xxh.hash(v.input, 1).toString(16).padStart(16, '0'), v.seed1_hex);
      assert.equal(xxh.hash(Buffer.from(v.input, 'utf8')), BigInt(v.seed0));
    });
  }

  for (const v of vectors.envoy_unit_test_expectations.xxh64_reference) {
    it(`matches Envoy's reference digest of ${JSON.stringify(v.input)}`, () => {
      assert.equal(xxh.hash(v.input).toString(16).padStart(16, '0'), v.seed0_hex);
    });
  }

  it('loads once and shares the instance', async () => {
    assert.equal(await loadXxh64(), xxh);
  });
});
