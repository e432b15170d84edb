import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { configJsonSchema } from '../../src/config/index.js';

const read = (rel: string) => readFile(new URL(rel, import.meta.url), 'utf8');

test('schema/gateway.schema.json is up to date (run `npm run schema` if not)', async () => {
  const committed = await read('../../schema/gateway.schema.json');
  assert.equal(committed, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
});

test('the JSON Schema is draft 2020-12, strict, and describes every field', () => {
  const schema = configJsonSchema() as Record<string, unknown>;
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.deepEqual(schema.required, ['servers']);
  const undescribed: string[] = [];
  walkProperties(schema, '', (path, node) => {
    if (typeof node.description !== 'string') undescribed.push(path);
    // Records (a map of names, e.g. cost per tool) have no fixed properties: their values are typed instead.
    if (node.type === 'object' && node.properties) assert.equal(node.additionalProperties, false, `${path} is not strict`);
  });
  assert.deepEqual(undescribed, []);
});

test('docs/configuration.md mentions every field', async () => {
  const docs = await read('../../docs/configuration.md');
  const missing: string[] = [];
  walkProperties(configJsonSchema() as Record<string, unknown>, '', (path) => {
    if (!docs.includes(`\`${path}\``)) missing.push(path);
  });
  assert.deepEqual(missing, []);
});

type Node = Record<string, unknown>;

/** Visits every named property, with its dotted path ("servers[].match.hosts"). */
function walkProperties(node: Node, path: string, visit: (path: string, node: Node) => void): void {
  const props = node.properties as Record<string, Node> | undefined;
  for (const [key, child] of Object.entries(props ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    visit(childPath, child);
    walkProperties(child, childPath, visit);
  }
  if (node.items) walkProperties(node.items as Node, `${path}[]`, visit);
  for (const alt of (node.oneOf as Node[] | undefined) ?? []) walkProperties(alt, path, visit);
}
