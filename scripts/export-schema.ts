// Writes schema/gateway.schema.json from the config schema (`npm run schema`).
// test/config/schema-file.test.ts fails when the committed file differs from this output.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/index.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'gateway.schema.json');
await mkdir(dirname(target), { recursive: true });
await writeFile(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
