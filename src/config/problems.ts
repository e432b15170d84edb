// Turns zod issues into problem lines: "path.to.field: message", one line each.
// The messages use YAML words (mapping, list) because that is what the author wrote.
import { z } from 'zod';

export const ROOT_PATH = '(root)';

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? ROOT_PATH : path.map((p) => String(p)).join('.');
}

export function problemLine(path: ReadonlyArray<PropertyKey>, message: string): string {
  // One line per problem, whatever the message carries.
  return `${formatPath(path)}: ${message.replace(/\s*\n\s*/g, ' ')}`;
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'object':
      return 'a mapping';
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`;
    default:
      return typeof v;
  }
}

const EXPECTED_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

function plural(n: number | bigint, one: string, many: string): string {
  return `${n} ${Number(n) === 1 ? one : many}`;
}

/** Error map passed to safeParse: default messages for issues the schema gives no message of its own. */
export const problemMessages: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type': {
      if (iss.input === undefined) return 'required';
      const expected = EXPECTED_NAMES[iss.expected] ?? iss.expected;
      return `expected ${expected}, got ${describeValue(iss.input)}`;
    }
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_union':
      // A discriminated union reports a bad or missing discriminator here.
      if ('options' in iss && Array.isArray(iss.options)) {
        return `must be one of ${iss.options.map((v: unknown) => String(v)).join(', ')}`;
      }
      return 'does not match any allowed form';
    case 'too_small':
      if (iss.origin === 'string') return Number(iss.minimum) === 1 ? 'must not be empty' : `must be at least ${plural(iss.minimum, 'character', 'characters')}`;
      if (iss.origin === 'array') return `must have at least ${plural(iss.minimum, 'entry', 'entries')}`;
      return iss.inclusive ? `must be at least ${iss.minimum}` : `must be greater than ${iss.minimum}`;
    case 'too_big':
      if (iss.origin === 'string') return `must be at most ${plural(iss.maximum, 'character', 'characters')}`;
      if (iss.origin === 'array') return `must have at most ${plural(iss.maximum, 'entry', 'entries')}`;
      return iss.inclusive ? `must be at most ${iss.maximum}` : `must be less than ${iss.maximum}`;
    default:
      return undefined;
  }
};

/** One problem with its path kept as a list, for callers that re-root it (live configuration). */
export interface PathProblem {
  path: PropertyKey[];
  message: string;
}

/** Flattens zod issues; an unknown-keys issue becomes one problem per key. */
export function issuesToPathProblems(issues: ReadonlyArray<z.core.$ZodIssue>): PathProblem[] {
  return issues.flatMap((iss) =>
    iss.code === 'unrecognized_keys' ? iss.keys.map((key) => ({ path: [...iss.path, key], message: 'unknown field' })) : [{ path: [...iss.path], message: iss.message }],
  );
}

/** Flattens zod issues into problem lines; an unknown-keys issue becomes one line per key. */
export function issuesToProblems(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issuesToPathProblems(issues).map((p) => problemLine(p.path, p.message));
}
