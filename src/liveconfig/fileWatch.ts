// Follows a config file however it is changed: written in place, replaced by a rename (editors), or
// swapped under a symlink (a Kubernetes ConfigMap volume renames its `..data` link). The file's own
// inode cannot be watched for the last two, so its directory is (and the directory of the file the
// path resolves to, when that differs); any event there re-reads the file after a short quiet time,
// and only new content counts.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../telemetry/index.js';

/** Editors and kubelet change a file in several steps; one read after they settle. */
const QUIET_MS = 150;

export interface FileWatch {
  close(): void;
}

/** Calls `changed` after the file's content changed (not for events that leave it as it was). */
export async function watchFile(path: string, changed: () => void, logger: Logger): Promise<FileWatch> {
  const file = resolve(path);
  let last = await readFile(file, 'utf8').catch(() => undefined);
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const arm = async (): Promise<void> => {
    const dirs = new Set([dirname(file)]);
    const target = await realpath(file).catch(() => undefined);
    if (target) dirs.add(dirname(target));
    for (const [dir, w] of watchers) if (!dirs.has(dir)) (w.close(), watchers.delete(dir));
    for (const dir of dirs) {
      if (watchers.has(dir) || closed) continue;
      try {
        const w = watch(dir, { persistent: false }, () => schedule());
        w.on('error', (err) => logger.warn({ dir, err: err.message }, 'config watch failed; SIGHUP still reloads'));
        watchers.set(dir, w);
      } catch (err) {
        logger.warn({ dir, err: (err as Error).message }, 'cannot watch the config directory; SIGHUP still reloads');
      }
    }
  };
  const check = async (): Promise<void> => {
    if (closed) return;
    // The path may now resolve elsewhere (a swapped symlink): follow it.
    await arm();
    const text = await readFile(file, 'utf8').catch(() => undefined);
    // Mid-replacement the file may be missing for a moment: wait for the next event.
    if (text === undefined || text === last) return;
    last = text;
    changed();
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void check(), QUIET_MS);
    timer.unref();
  };

  await arm();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
