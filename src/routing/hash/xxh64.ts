// XXH64 as Envoy computes it (HashUtil::xxHash64): unsigned 64-bit digest of the input's UTF-8 bytes.
// xxhash-wasm must be instantiated asynchronously once; after that every call is synchronous.
import xxhash from 'xxhash-wasm';

export interface Xxh64 {
  /** XXH64 of the UTF-8 bytes of `input` (or the raw bytes), as an unsigned 64-bit bigint. */
  hash(input: string | Uint8Array, seed?: bigint | number): bigint;
}

let loading: Promise<Xxh64> | undefined;

/** Instantiates the WebAssembly module on first use; later calls share the same instance. */
export function loadXxh64(): Promise<Xxh64> {
  loading ??= xxhash().then((api) => ({
    hash(input: string | Uint8Array, seed: bigint | number = 0n): bigint {
      const s = BigInt.asUintN(64, BigInt(seed));
      // h64 encodes strings as UTF-8, the bytes Envoy hashes.
      return typeof input === 'string' ? api.h64(input, s) : api.h64Raw(input, s);
    },
  }));
  return loading;
}
