// Child entry, plain JavaScript so no TypeScript loader sits in the measured process: `mcpgw serve`
// from a compiled tree (as the image runs it), left idle, then its memory: 2 s after start, once V8
// has settled (its memory reducer gives the young generation back after some idle seconds), and after
// full GCs. argv: the compiled src/cli/main.js, the config file, the longest wait for V8 to settle (ms).
// Needs --expose-gc.
import { pathToFileURL } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';

const [main, config, settleCap] = process.argv.slice(2);
const t0 = Date.now();
process.argv = [process.argv[0], 'mcpgw', 'serve', '--config', config];
await import(pathToFileURL(main).href);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
// Idle: listeners bound, start-up garbage left to the collector's own schedule.
await sleep(2000);
const started = process.memoryUsage();
// Settled: the young generation is back to V8's initial size (1 MiB), or the cap has passed.
while (newSpace() > 1048576 && Date.now() - t0 < Number(settleCap)) await sleep(500);
const idle = process.memoryUsage();
const settledMs = Date.now() - t0;
globalThis.gc();
globalThis.gc();
const after = process.memoryUsage();
process.send({ rssAtStart: started.rss, rss: idle.rss, heapUsed: idle.heapUsed, rssAfterGc: after.rss, heapAfterGc: after.heapUsed, settledMs });
