// Prints the functions with the most self time in a V8 .cpuprofile (from node --cpu-prof), and the
// same time grouped by where the code lives (mcpgw module, npm package, node internals).
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Share of samples not idle / GC / program. */
  top: SelfTimeEntry[];
  byArea: Array<{ area: string; selfMs: number; percent: number }>;
}

/** "src/extproc", "node_modules/@grpc/grpc-js", "node:internal", "(garbage collector)", … */
export function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return `mcpgw:${url.slice(src + 1).split('/').slice(0, 2).join('/')}`;
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return 'bench';
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(profile: CpuProfile, topN = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const fns = new Map<string, SelfTimeEntry>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    total += us;
    const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    const name = f.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const e = fns.get(key) ?? { name, where, selfMs: 0, percent: 0 };
    e.selfMs += us / 1000;
    fns.set(key, e);
    const area = areaOf(f);
    areas.set(area, (areas.get(area) ?? 0) + us / 1000);
  }
  const pct = (ms: number) => Math.round((ms / (total / 1000)) * 1000) / 10;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  const top = [...fns.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN)
    .map((e) => ({ ...e, selfMs: round(e.selfMs), percent: pct(e.selfMs) }));
  const byArea = [...areas]
    .sort((a, b) => b[1] - a[1])
    .map(([area, ms]) => ({ area, selfMs: round(ms), percent: pct(ms) }));
  return { totalMs: round(total / 1000), top, byArea };
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const lines = [`${title}: ${s.totalMs} ms sampled`, '  self ms      %  function (location)'];
  for (const e of s.top) lines.push(`  ${e.selfMs.toFixed(1).padStart(7)} ${e.percent.toFixed(1).padStart(6)}  ${e.name} (${e.where})`);
  lines.push('  by area:');
  for (const a of s.byArea.slice(0, 12)) lines.push(`  ${a.selfMs.toFixed(1).padStart(7)} ${a.percent.toFixed(1).padStart(6)}  ${a.area}`);
  return lines.join('\n');
}

export function summarizeProfileFile(file: string, topN = 15): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, topN);
}

// `node --import tsx bench/profile/summarize.ts FILE.cpuprofile [N]`
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').slice(-2).join('/'))) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    console.error('usage: summarize.ts FILE.cpuprofile [TOP_N]');
    process.exit(2);
  }
  console.log(formatProfile(file, summarizeProfileFile(file, Number(n ?? 15))));
}
