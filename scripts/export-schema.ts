// Writes schema/gateway.schema.json from the config schema, and istio/base/crd-mcpserver.yaml from the
// MCPServer spec schema (`npm run schema`). test/config/schema-file.test.ts and
// test/deploy/mcpserver-crd.test.ts fail when a committed file differs from this output.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/index.js';
import { mcpServerCrdYaml } from '../src/liveconfig/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'schema', 'gateway.schema.json');
await mkdir(dirname(target), { recursive: true });
await writeFile(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
const crd = join(root, 'istio', 'base', 'crd-mcpserver.yaml');
await writeFile(crd, mcpServerCrdYaml());
console.log(`wrote ${crd}`);
