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
  children?: number[];
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

/** A named slice of CPU: a sample belongs to it when a frame of its stack matches `frame`. */
export interface Category {
  name: string;
  frame: (fn: string, url: string) => boolean;
}

/**
 * Where a process's CPU went by what it was doing, from whole stacks (not self time): each busy sample goes to the
 * first category in `categories` (priority order) any of whose frames is on its stack, else to "other". Answers
 * "how much of a restore is the Noise handshake, the pre-key upload, …" where self time only says "crypto".
 * `per` divides the figures (e.g. by the number of sessions restored) for a per-unit column. On a loaded machine the
 * profiler's "busy" time overstates CPU (a preempted thread still has a JS stack to sample), so `cpuMs`, the process's
 * CPU time from /proc over the profiled life, if given, is what the shares are applied to.
 */
export function categoryBreakdown(
  file: string,
  categories: readonly Category[],
  per: number,
  unit: string,
  cpuMs?: number,
): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const memo = new Map<number, string | null>();
  const categoryOf = (leaf: number): string | null => {
    if (memo.has(leaf)) return memo.get(leaf)!;
    const frames: ProfileNode['callFrame'][] = [];
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) frames.push(byId.get(id)!.callFrame);
    if (frames[0]?.functionName === '(idle)') return (memo.set(leaf, null), null);
    const hit = categories.find((c) => frames.some((f) => c.frame(f.functionName, f.url)));
    const name = hit?.name ?? 'other';
    memo.set(leaf, name);
    return name;
  };
  const totals = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const cat = categoryOf(p.samples[i]);
    if (cat === null) continue;
    const us = p.timeDeltas[i] ?? 0;
    busy += us;
    totals.set(cat, (totals.get(cat) ?? 0) + us);
  }
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]);
  const totalMs = cpuMs ?? busy / 1000;
  const basis = cpuMs === undefined ? 'profiler busy time' : 'process CPU time from /proc';
  return [
    `| ${(busy / 1e6).toFixed(1)} s busy in the profile, ${(totalMs / 1000).toFixed(1)} s of ${basis} | share | per ${unit} |`,
    '|---|---|---|',
    ...rows.map(
      ([name, us]) =>
        `| ${name} | ${((100 * us) / busy).toFixed(1)} % | ${((totalMs * us) / busy / per).toFixed(1)} ms |`,
    ),
  ].join('\n');
}

/** The main thread's profile among those Node wrote into `dir` (tsx's loader thread writes one too). */
export function mainProfile(dir: string): string | null {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  const busiest = files
    .map((f) => ({ f, busy: busyUs(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile) }))
    .sort((a, b) => b.busy - a.busy)[0];
  return busiest?.f ?? null;
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
