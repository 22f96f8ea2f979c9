/**
 * Small helpers shared by the benches: order statistics, formatting, memory snapshots after a forced GC,
 * CPU time of another process (the simulator) from /proc, flag parsing. Benches print markdown; these keep
 * the numbers and their units consistent across tables.
 */
import { readFileSync } from 'node:fs';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile (p in 0..100) of a non-empty sample. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  return { n: xs.length, median: median(xs), p90: percentile(xs, 90), min: Math.min(...xs), max: Math.max(...xs) };
}

export const ms = (v: number): string => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms` : '—');
export const sec = (v: number): string => (Number.isFinite(v) ? `${(v / 1000).toFixed(1)} s` : '—');
export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;

/** "median (p90 …, min–max)" for a table cell. */
export const cell = (s: Summary): string => `**${ms(s.median)}** (p90 ${ms(s.p90)}, ${ms(s.min)}–${ms(s.max)})`;

export interface MemSnapshot {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Forced full GC, a settle delay (Baileys keeps doing work for a moment after open: app-state sync, timers),
 * then GC again so the figure is live data, not garbage waiting for a young-generation cycle. Without
 * --expose-gc the numbers still come out, flagged by `gc: false`.
 */
export async function settledMemory(settleMs: number): Promise<MemSnapshot & { gc: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await sleep(settleMs);
  gc?.();
  await sleep(50); // let the allocator hand freed pages back before reading RSS
  gc?.();
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    gc: !!gc,
  };
}

/** RSS (bytes) and CPU time (ms, user+system) of another process, from /proc; null off Linux or once it is gone. */
export function procUsage(pid: number): { rss: number; cpuMs: number; minorFaults: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    // minflt (10th field overall): pages touched again after the kernel took them away, or first touched.
    const minorFaults = Number(rest[7]);
    return { rss: rssKb * 1024, cpuMs: (ticks * 1000) / 100, minorFaults }; // USER_HZ is 100 on every Linux we run on
  } catch {
    return null;
  }
}

/** Own CPU time in ms since `since` (process.cpuUsage()). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** `--name value` / `--name=value` integer flag with a default; exits with a message on garbage. */
export function intFlag(argv: readonly string[], name: string, fallback: number): number {
  const raw = stringFlag(argv, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name} must be a non-negative integer, got ${raw}\n`);
    process.exit(2);
  }
  return n;
}

export function stringFlag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

export const boolFlag = (argv: readonly string[], name: string): boolean => argv.includes(`--${name}`);
