// Child entry, plain JavaScript so no TypeScript loader sits in the measured process: `mcpgw serve`
// from a compiled tree (as the image runs it), left idle, then its memory before and after full GCs.
// argv: the compiled src/cli/main.js, the config file. Needs --expose-gc.
import { pathToFileURL } from 'node:url';

const [main, config] = process.argv.slice(2);
process.argv = [process.argv[0], 'mcpgw', 'serve', '--config', config];
await import(pathToFileURL(main).href);
// Idle: listeners bound, start-up garbage left to the collector's own schedule.
await new Promise((resolve) => setTimeout(resolve, 2000));
const idle = process.memoryUsage();
globalThis.gc();
globalThis.gc();
const after = process.memoryUsage();
process.send({ rss: idle.rss, heapUsed: idle.heapUsed, rssAfterGc: after.rss, heapAfterGc: after.heapUsed });
