// Which modules a piece of code loads, seen from outside: a fresh `node --import tsx` process with a
// module.register() resolve hook that writes every resolved URL to a file (ESM imports), plus the
// CommonJS require cache at the end (requires made inside CommonJS packages, which ESM hooks miss).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const HOOKS = `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, r.url + '\\n');
  return r;
}
`;

/** Every module URL / file path loaded by `import(entry)` (entry relative to cwd), in a fresh process. */
export async function modulesLoadedBy(entry: string, cwd = process.cwd()): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcpgw-loaded-'));
  try {
    const out = path.join(dir, 'loaded.txt');
    const hooks = path.join(dir, 'hooks.mjs');
    writeFileSync(out, '');
    writeFileSync(hooks, HOOKS);
    const recorder = path.join(dir, 'register.mjs');
    writeFileSync(recorder, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)}, { data: { out: ${JSON.stringify(out)} } });\n`);
    const script = `
      import { createRequire } from 'node:module';
      import { appendFileSync } from 'node:fs';
      import { pathToFileURL } from 'node:url';
      await import(pathToFileURL(${JSON.stringify(path.resolve(cwd, entry))}).href);
      appendFileSync(${JSON.stringify(out)}, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n');
    `;
    const { code, stderr } = await run(process.execPath, ['--import', 'tsx', '--import', recorder, '--input-type=module', '-e', script], cwd);
    if (code !== 0) throw new Error(`importing ${entry} failed (exit ${code}):\n${stderr}`);
    return [...new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean))];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
