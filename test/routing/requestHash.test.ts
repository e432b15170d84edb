import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { combinePolicyHashes, headerPolicyHash, loadXxh64, type Xxh64 } from '../../src/routing/index.js';
import { vectors } from './vectors.js';

describe('request hash (route hash_policy header)', () => {
  let xxh: Xxh64;
  before(async () => {
    xxh = await loadXxh64();
  });

  for (const c of vectors.header_hash.cases) {
    it(`values ${JSON.stringify(c.values)} hash as ${JSON.stringify(c.hashed_bytes)}`, () => {
      assert.equal(headerPolicyHash(c.values, xxh), BigInt(c.hash));
    });
  }

  it('absent header yields no hash', () => {
    assert.equal(headerPolicyHash(undefined, xxh), undefined);
    assert.equal(headerPolicyHash([], xxh), undefined);
  });

  it('sorts byte-wise (UTF-8), not by UTF-16 code unit', () => {
    // U+FF5E sorts after U+1F600 in UTF-16 units but before it in UTF-8 bytes.
    const a = '\uff5e';
    const b = '\u{1f600}';
    assert.equal(headerPolicyHash([b, a], xxh), xxh.hash(a + b));
  });

  it('combines two policies as rotl64(first, 1) XOR second', () => {
    const p = vectors.header_hash.policy_combination;
    assert.equal(combinePolicyHashes([BigInt(p.first_hash), BigInt(p.second_hash)]), BigInt(p.combined));
    assert.equal(combinePolicyHashes([BigInt(p.first_hash)]), BigInt(p.first_hash));
    assert.equal(combinePolicyHashes([undefined, BigInt(p.second_hash)]), BigInt(p.second_hash));
    assert.equal(combinePolicyHashes([undefined]), undefined);
  });
});
