#!/usr/bin/env node
// The `mcpgw` command (package.json "bin"). Runs the compiled CLI when there is one (`npm run build`,
// the image); in a checkout that was not built it runs the TypeScript source through tsx, a dev
// dependency, so `npx mcpgw` works right after `npm ci`. Either way in this same process: signals sent
// to it reach mcpgw. After changing src/, rebuild (or delete dist/) or this runs the old build.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
