/**
 * The bench's load generator, in a process of its own: autocannon's programmatic run, whose summary gives req/s, and
 * latency percentiles taken from every 2xx response's own duration (autocannon times each with `process.hrtime`, in
 * fractional milliseconds). Its summary's percentiles come from an HDR histogram of whole milliseconds, too coarse
 * where a p99 is 2 ms: a ratio of two of them could only be 1, 1.5, 2 or 3.
 *
 * Usage: node --import tsx bench/lib/load-child.ts <url> <connections> <seconds>; prints one JSON line (LoadRun).
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

interface Summary {
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
}
type Autocannon = (
  opts: { url: string; connections: number; duration: number },
  done: (err: Error | null, result: Summary) => void,
) => EventEmitter;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const [url, connections, seconds] = process.argv.slice(2);
if (!url || !connections || !seconds) throw new Error('usage: load-child.ts <url> <connections> <seconds>');

const durations: number[] = [];
const run = autocannon({ url, connections: Number(connections), duration: Number(seconds) }, (err, result) => {
  if (err) throw err;
  const sorted = Float64Array.from(durations).sort();
  /** Nearest-rank percentile, in ms. */
  const at = (q: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]! : NaN);
  process.stdout.write(
    JSON.stringify({
      rps: result.requests.average,
      p50: at(0.5),
      p99: at(0.99),
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
    }),
  );
});
run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
  if (status >= 200 && status < 300) durations.push(ms);
});
