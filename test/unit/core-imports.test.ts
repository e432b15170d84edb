// Importing the core loads no I/O library: it decides, and everything effectful (Redis, Kubernetes,
// metrics, tracing, logging, gRPC) is handed to it through the interfaces it owns.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modulesLoadedBy } from '../support/loadedModules.js';

const IO_LIBRARIES = ['ioredis', '@kubernetes/client-node', 'prom-client', '@opentelemetry/', 'pino', '@grpc/'];

/** The npm package a loaded module belongs to ("@scope/name" or "name"), if it is one. */
function packageOf(loaded: string): string | undefined {
  const at = loaded.lastIndexOf('node_modules/');
  if (at === -1) return undefined;
  const [first, second] = loaded.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
}

describe('importing src/core', () => {
  it('loads none of ioredis, the Kubernetes client, prom-client, OpenTelemetry, pino or gRPC', async () => {
    const loaded = await modulesLoadedBy('src/core/index.ts');
    assert.ok(loaded.some((m) => m.includes('/src/core/gateway.ts')), `the recorder saw the core load:\n${loaded.join('\n')}`);
    const packages = [...new Set(loaded.map(packageOf).filter((p): p is string => p !== undefined))].sort();
    const io = packages.filter((p) => IO_LIBRARIES.some((lib) => (lib.endsWith('/') ? p.startsWith(lib) : p === lib)));
    assert.deepEqual(io, [], `the core loaded I/O libraries: ${io.join(', ')}\nall packages: ${packages.join(', ')}`);
  });

  it('the recorder does see I/O libraries when a module loads them (the check above can fail)', async () => {
    const loaded = await modulesLoadedBy('src/telemetry/index.ts');
    const packages = new Set(loaded.map(packageOf));
    assert.ok(packages.has('prom-client') && packages.has('pino'), [...packages].join(', '));
  });
});
