/**
 * `npm run bench` runs every bench in bench/*.ts one after the other, each as its own child process (so one bench's
 * heap, JIT and leftover timers never colour another's memory or latency figures), collects the markdown each
 * prints on stdout, and prints one report. Progress and diagnostics of the benches go to stderr as they happen.
 *
 *   npm run bench                              # all of them, default (modest) sizes
 *   npm run bench -- sessions                  # one bench (names: file names without .ts; several allowed)
 *   npm run bench -- sessions --sessions 500   # anything that is not a bench name is passed to the benches
 *   npm run bench -- --list | --help
 *   npm run bench -- --out BENCH-RUN.md        # also writes the report to that file (stdout still gets it)
 *
 * Figures are medians and ratios measured in one run on whatever machine this is; they are not pass/fail tests.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const repoDir = join(benchDir, '..');

/** Run order: cheapest and most fundamental first; benches not listed here run after these, alphabetically. */
const ORDER = ['sim-pairing', 'sessions', 'http', 'scale', 'webhooks'];

interface Bench {
  name: string;
  file: string;
  /** Turns the flags given to run.ts into this bench's arguments. */
  args(flags: string[]): string[];
}

/** bench/sim-pairing.ts takes one positional argument (runs); map `--runs N` onto it and drop the other flags. */
function simPairingArgs(flags: string[]): string[] {
  const i = flags.findIndex((f) => f === '--runs' || f.startsWith('--runs='));
  if (i < 0) return [];
  return [flags[i].includes('=') ? flags[i].split('=')[1] : (flags[i + 1] ?? '')];
}

function discover(): Bench[] {
  const names = readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'));
  const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return names.map((name) => ({
    name,
    file: join(benchDir, `${name}.ts`),
    args: name === 'sim-pairing' ? simPairingArgs : (flags) => flags,
  }));
}

const benches = discover();
const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h') || argv.includes('--list')) {
  process.stdout.write(
    `usage: npm run bench -- [bench…] [flags passed to the benches]\nbenches (in run order): ${benches.map((b) => b.name).join(', ')}\n` +
      'flags go to every selected bench (name one to target it); each bench reads the flags it knows, e.g.\n' +
      '  sim-pairing: --runs N · sessions: --sessions N --runs N --concurrency N --settle-ms N --restore-concurrency N[,M] --late-ms N --cpu-prof\n' +
      '  http: --connections N --duration S --slices N --rounds N --pair N --callers N --pg --cpu-prof · webhooks: --instances N --events N --concurrency N --pg\n' +
      '  scale: --sessions N --batch N --settle-ms N --connections N --duration S --poll-ms N --pair-timeout-ms N --cpu-prof\n' +
      'run.ts itself: --timeout-min N (per bench, default 30), --out FILE (the report, also written there)\n',
  );
  process.exit(0);
}

const known = new Set(benches.map((b) => b.name));
const selectedNames = argv.filter((a) => known.has(a));
const strayName = argv.find(
  (a, i) => !a.startsWith('-') && !known.has(a) && !(argv[i - 1] ?? '').startsWith('--') && !/^\d+$/.test(a),
);
if (strayName) {
  process.stderr.write(`unknown bench "${strayName}"; available: ${benches.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}
// --timeout-min and --out are run.ts's own; everything else that is not a bench name goes to the benches.
const ownFlag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const own = new Set(
  ['--timeout-min', '--out'].flatMap((f) => (argv.includes(f) ? [argv.indexOf(f), argv.indexOf(f) + 1] : [])),
);
const timeoutRaw = Number(ownFlag('--timeout-min') ?? 30);
const timeoutMin = Number.isFinite(timeoutRaw) && timeoutRaw > 0 ? timeoutRaw : 30;
const outFile = ownFlag('--out');
const flags = argv.filter((a, i) => !known.has(a) && !own.has(i));
const selected = selectedNames.length ? benches.filter((b) => selectedNames.includes(b.name)) : benches;

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

interface Outcome {
  bench: Bench;
  args: string[];
  code: number | null;
  ms: number;
  stdout: string;
}

/** One bench as a child process; stdout is the bench's markdown, stderr streams through. */
function runOne(bench: Bench): Promise<Outcome> {
  const args = bench.args(flags);
  // --expose-gc for every bench: memory figures after a forced GC are the only comparable ones.
  const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', bench.file, ...args], {
    cwd: repoDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const t0 = performance.now();
  const timer = setTimeout(() => {
    process.stderr.write(`bench ${bench.name}: over ${timeoutMin} min, stopping it (pid ${child.pid})\n`);
    child.kill('SIGTERM');
  }, timeoutMin * 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ bench, args, code, ms: performance.now() - t0, stdout: Buffer.concat(chunks).toString('utf8').trim() });
    });
  });
}

const started = new Date();
const header = [
  '# Switchboard benchmarks',
  '',
  `${started.toISOString()} · commit ${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' (+ uncommitted changes)' : ''} · ` +
    `Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · ` +
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  '',
  'Each bench ran in its own process (`node --import tsx --expose-gc bench/<name>.ts`), one after the other. ' +
    'One run on a shared machine: compare ratios within a table, not absolute figures across machines.',
];

const outcomes: Outcome[] = [];
for (const bench of selected) {
  if (!existsSync(bench.file)) continue; // a bench that vanished while we ran
  process.stderr.write(`▶ ${bench.name}\n`);
  const o = await runOne(bench);
  process.stderr.write(`■ ${bench.name}: exit ${o.code}, ${(o.ms / 1000).toFixed(1)} s\n`);
  outcomes.push(o);
}

const report = [...header];
for (const o of outcomes) {
  report.push(
    '',
    `## ${o.bench.name}`,
    '',
    `\`npm run bench -- ${[o.bench.name, ...o.args].join(' ')}\` · ${(o.ms / 1000).toFixed(0)} s`,
  );
  if (o.code !== 0) report.push('', `**failed** (exit ${o.code}); its stderr above says why.`);
  if (o.stdout) report.push('', o.stdout);
}
const totalS = outcomes.reduce((sum, o) => sum + o.ms, 0) / 1000;
report.push(
  '',
  `Total: ${(totalS / 60).toFixed(1)} min (${outcomes.map((o) => `${o.bench.name} ${(o.ms / 1000).toFixed(0)} s`).join(', ')}); ` +
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}.`,
);
process.stdout.write(`${report.join('\n')}\n`);
if (outFile) writeFileSync(outFile, `${report.join('\n')}\n`);
process.exitCode = outcomes.some((o) => o.code !== 0) ? 1 : 0;
