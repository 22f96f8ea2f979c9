/**
 * Summarises V8 .cpuprofile files (node --cpu-prof) as markdown: self time by package (which dependency burns the
 * CPU) and the hottest functions. Idle time is left out of the percentages: they answer "of the CPU this process
 * used, where did it go", which is what a CPU-bound 2-core bench needs to know.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<pkg> (scoped too), node internals, our own folders, or V8's pseudo-frames. */
function bucket(url: string, fn: string): string {
  if (!url) return fn || '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith('node:')) return 'node internals';
  const m = /\/(src|sim|bench|test)\/([^/]+)/.exec(url);
  if (m) return `${m[1]}/${m[2]}`.replace(/\.ts$/, '');
  return url;
}

const short = (url: string) => {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const m = /\/((?:src|sim|bench|test)\/.*)$/.exec(url);
  return m ? m[1] : url.replace(/^file:\/\//, '');
};

function summarizeOne(name: string, p: CpuProfile): string[] {
  // Self time per node from the sample stream (timeDeltas[i] is the time before samples[i]).
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const pkg = bucket(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const key = url ? `\`${functionName || '(anonymous)'}\` ${short(url)}:${lineNumber + 1}` : `\`${functionName}\``;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)} %`;
  const top = (m: Map<string, number>, k: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k);
  const out = [
    `CPU profile \`${name}\`: ${(busy / 1e6).toFixed(1)} s busy of ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s profiled.`,
    '',
    '| self time by package | share | | hottest functions (self) | share |',
    '|---|---|---|---|---|',
  ];
  const pk = top(packages, 10);
  const fn = top(functions, 10);
  for (let i = 0; i < Math.max(pk.length, fn.length); i++) {
    const a = pk[i] ? `${pk[i][0]} | ${pct(pk[i][1])}` : ' | ';
    const b = fn[i] ? `${fn[i][0]} | ${pct(fn[i][1])}` : ' | ';
    out.push(`| ${a} | | ${b} |`);
  }
  return out;
}

const busyUs = (p: CpuProfile) => {
  const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  return p.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : (p.timeDeltas[i] ?? 0)), 0);
};

/**
 * One sub-directory per process (`<n>-<phase>`). Node writes a profile per thread and tsx runs its module loader
 * in a worker thread, so each directory holds two: the busier one is the main thread, the one we summarise.
 */
export function profileSummary(dir: string): string {
  const out: string[] = [];
  let subdirs: string[] = [];
  try {
    subdirs = readdirSync(dir).sort();
  } catch {
    /* none written */
  }
  for (const sub of subdirs) {
    const profiles = readdirSync(join(dir, sub))
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => JSON.parse(readFileSync(join(dir, sub, f), 'utf8')) as CpuProfile);
    const main = profiles.sort((a, b) => busyUs(b) - busyUs(a))[0];
    if (main) out.push(...summarizeOne(sub, main), '');
  }
  return out.length ? out.join('\n').trim() : '(no CPU profiles were written)';
}
