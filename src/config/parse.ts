// YAML text → validated, defaulted, frozen GatewayConfig, or every problem found.
import type { z } from 'zod';
import { isAlias, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { gatewayConfigSchema } from './schema.js';
import { issuesToPathProblems, issuesToProblems, problemLine, problemMessages, type PathProblem } from './problems.js';
import type { ConfigResult, GatewayConfig } from './types.js';

function yamlProblem(err: YAMLError, lines: LineCounter): string {
  const { line, col } = lines.linePos(err.pos[0]);
  return problemLine([], `YAML syntax error at ${line}:${col}: ${err.message}`);
}

// An unquoted glob or wildcard host (*.example.com, *_all) reads as a YAML alias: the likeliest
// mistake in this file, so it gets a position and the fix instead of yaml's generic message.
function unresolvedAliases(doc: Document, lines: LineCounter): string[] {
  const found: string[] = [];
  visit(doc, {
    Alias(_key, node) {
      if (!isAlias(node) || node.resolve(doc) !== undefined) return;
      const { line, col } = lines.linePos(node.range?.[0] ?? 0);
      const text = `*${node.source}`;
      found.push(problemLine([], `YAML syntax error at ${line}:${col}: ${text} reads as an alias to an undefined anchor; quote values that start with "*", e.g. "${text}"`));
    },
  });
  return found;
}

export function parseConfig(yamlText: string): ConfigResult {
  const lines = new LineCounter();
  // prettyErrors off: its messages span several lines; the position is added by yamlProblem.
  const doc = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // Warnings (e.g. an unknown !tag) count too: a config should mean exactly what it says.
  const yamlErrors = [...doc.errors, ...doc.warnings];
  if (yamlErrors.length > 0) return { ok: false, problems: yamlErrors.map((e) => yamlProblem(e, lines)) };

  const aliasProblems = unresolvedAliases(doc, lines);
  if (aliasProblems.length > 0) return { ok: false, problems: aliasProblems };

  let value: unknown;
  try {
    value = doc.toJS(); // throws on alias bombs (maxAliasCount)
  } catch (err) {
    return { ok: false, problems: [problemLine([], `YAML error: ${(err as Error).message}`)] };
  }
  if (value === null || value === undefined) {
    return { ok: false, problems: [problemLine([], 'config is empty; expected a mapping with at least "servers"')] };
  }

  const result = gatewayConfigSchema.safeParse(value, { error: problemMessages });
  return result.success
    ? { ok: true, config: result.data }
    : { ok: false, problems: issuesToProblems(result.error.issues) };
}

/** Validates an already-read value (a composed live configuration), keeping each problem's path as a list. */
export function validateConfig(value: unknown): { ok: true; config: GatewayConfig } | { ok: false; problems: PathProblem[] } {
  const result = gatewayConfigSchema.safeParse(value, { error: problemMessages });
  return result.success ? { ok: true, config: result.data } : { ok: false, problems: issuesToPathProblems(result.error.issues) };
}

/** Validates a value against one part of the config schema, with the config's messages. */
export function validatePart<S extends z.ZodType>(schema: S, value: unknown): { ok: true; value: z.output<S> } | { ok: false; problems: PathProblem[] } {
  const result = schema.safeParse(value, { error: problemMessages });
  return result.success ? { ok: true, value: result.data } : { ok: false, problems: issuesToPathProblems(result.error.issues) };
}
