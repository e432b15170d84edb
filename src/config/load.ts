// Reads a config file from disk; an unreadable file is a problem line, never a throw.
import { readFile } from 'node:fs/promises';
import { parseConfig } from './parse.js';
import { problemLine } from './problems.js';
import type { ConfigResult } from './types.js';

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
};

export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = (code && READ_ERRORS[code]) ?? (err as Error).message;
    return { ok: false, problems: [problemLine([], `cannot read config file ${JSON.stringify(path)}: ${reason}`)] };
  }
  return parseConfig(text);
}
