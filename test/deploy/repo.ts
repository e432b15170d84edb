// Paths and YAML reading shared by the deployment tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const repoPath = (...parts: string[]) => path.join(REPO_ROOT, ...parts);

export const readText = (relative: string) => readFileSync(repoPath(relative), 'utf8');

/** Every document of a (multi-document) YAML text; a YAML error throws with its position. */
export function parseYamlDocuments(text: string, source: string): unknown[] {
  return parseAllDocuments(text, { uniqueKeys: true }).flatMap((doc) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${source}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

export const readYaml = (relative: string) => parseYamlDocuments(readText(relative), relative);
