/**
 * Session lifecycle bench through the real HTTP API, the real Baileys engine and the simulator, on a temp SQLite
 * data dir. Prints markdown.
 *
 *   node --import tsx bench/sessions.ts [--sessions 50] [--runs 20] [--warmup 1] [--concurrency 10]
 *                                       [--settle-ms 5000] [--restore-concurrency 5[,20…]] [--late-ms 0]
 *                                       [--cpu-prof] [--keep] [--sim-restart]
 * --restore-concurrency with a list runs one restore process per value, one after the other, on the same store.
 * --late-ms: one more memory reading that long after the first (the Signal key cache holds a key for 5 min and drops it
 *   when read or at the session's next key write after that: src/engine/baileys/signal-key-cache.ts; one-time
 *   pre-keys are never cached).
 * --cpu-prof: V8 CPU profiles of both gateway lives, summarised by package and function (timings suffer).
 * --sim-restart: before each restore the simulator is killed (SIGKILL) and a new one loads its data dir, as in
 *   sandbox mode where a gateway restart restarts the embedded simulator; reports its reload time and disk use.
 *
 * Three processes, so every figure belongs to the process it describes:
 *  - the simulator (bench/lib/sim-child.ts): the gateway reaches it through a Simulator handle over its control
 *    API, so /sandbox/scan is still the gateway's own route, but the simulator's per-phone state and CPU are not
 *    counted as the gateway's; and its phones survive the gateway process, which a boot restore needs;
 *  - gateway life 1 (bench/lib/sessions-worker.ts, phase pair): latencies, then N sessions to WORKING with memory
 *    before/after a forced GC, then manager.shutdown() (credentials and stored status kept, as on SIGTERM);
 *  - gateway life 2 (same worker, phase restore): a new process on the same store and master key, restoreAll(),
 *    timed until all N are WORKING. A new process rather than a new manager in the same one: no warm JIT, no
 *    leftover heap, and memory per restored session measured from a clean baseline.
 * This process only orchestrates and prints.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RemoteSimInfo } from './lib/remote-sim.ts';
import type { Load, PairResult, RestoreResult, WorkerParams } from './lib/sessions-worker.ts';
import { benchTempDir, killWithBench } from './lib/processes.ts';
import { profileSummary } from './lib/profile-summary.ts';
import { boolFlag, cell, intFlag, kib, mib, ms, procUsage, sec, stringFlag, summarize } from './lib/stats.ts';

const argv = process.argv.slice(2);
if (boolFlag(argv, 'help')) {
  process.stdout.write(
    'usage: sessions [--sessions 50] [--runs 20] [--warmup 1] [--concurrency 10] [--settle-ms 5000] [--restore-concurrency 5[,20…]]\n' +
      '                [--late-ms 0] [--cpu-prof] [--keep] [--sim-restart]\n',
  );
  process.exit(0);
}
const opts = {
  // 50, not 200: the many-sessions figures (1,000) are bench/scale.ts's, and `npm run bench` must stay under 15 min.
  sessions: intFlag(argv, 'sessions', 50),
  runs: intFlag(argv, 'runs', 20),
  warmup: intFlag(argv, 'warmup', 1),
  concurrency: Math.max(1, intFlag(argv, 'concurrency', 10)),
  settleMs: intFlag(argv, 'settle-ms', 5000),
  // The manager's default is 5; a list compares values on the same store.
  restoreConcurrencies: (stringFlag(argv, 'restore-concurrency') ?? '5')
    .split(',')
    .map((v) => Math.max(1, Math.trunc(Number(v)) || 1)),
  lateMs: intFlag(argv, 'late-ms', 0),
  cpuProf: boolFlag(argv, 'cpu-prof'),
  keep: boolFlag(argv, 'keep'),
  simRestart: boolFlag(argv, 'sim-restart'),
};

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const children = new Set<ChildProcess>();

/** Forks a TypeScript module and resolves with its first IPC message of `type` (rejects on error or early exit). */
function forkTs(file: string, execArgv: string[], args: string[] = []): ChildProcess {
  const child = fork(here(file), args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return killWithBench(child); // SIGKILLed by PID if this bench ends any other way than its finally block
}

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`no '${type}' from pid ${child.pid} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: { type: string; message?: string }) => {
      if (m.type === type) done(() => resolve(m as T));
      else if (m.type === 'error') fail(new Error(`pid ${child.pid}: ${m.message}`));
    };
    const onExit = (code: number | null) => fail(new Error(`pid ${child.pid} exited (${code}) before '${type}'`));
    const done = (f: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      f();
    };
    const fail = (err: Error) => done(() => reject(err));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function runWorker<R>(params: WorkerParams, timeoutMs: number): Promise<R> {
  const prof = opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(profDir, `${++lives}-${params.phase}`)}`] : [];
  const worker = forkTs('./lib/sessions-worker.ts', ['--expose-gc', ...prof]);
  const exited = new Promise((r) => worker.once('exit', r));
  worker.send(params);
  const { result } = await nextMessage<{ result: R }>(worker, 'result', timeoutMs);
  await exited;
  return result;
}

// --keep: a plain temp dir left in place; otherwise one removed however this process exits.
const dir = opts.keep ? mkdtempSync(join(tmpdir(), 'sb-bench-sessions-')) : benchTempDir('sb-bench-sessions-');
const profDir = join(dir, 'profiles');
let lives = 0;
const masterKey = randomBytes(32).toString('base64');
const simDir = join(dir, 'sim');
let sim = forkTs('./lib/sim-child.ts', [], [simDir]);
/** --sim-restart: per restore, the simulator's reload (kill -9 → ready), its disk use and RSS once loaded. */
const simReloads: Array<{ reloadMs: number; phones: number; dbBytes: number; rss: number | null }> = [];
let pair: PairResult;
const restores: Array<{ concurrency: number; r: RestoreResult }> = [];
let profiles = '';
const t0 = performance.now();
try {
  const simInfo = await nextMessage<RemoteSimInfo & { type: string }>(sim, 'ready', 60_000);
  const common = {
    dir,
    masterKey,
    sim: { url: simInfo.url, rootKey: simInfo.rootKey, control: simInfo.control },
    simPid: sim.pid!,
    runs: opts.runs,
    warmup: opts.warmup,
    sessions: opts.sessions,
    concurrency: opts.concurrency,
    settleMs: opts.settleMs,
    lateMs: opts.lateMs,
    restoreConcurrency: 5,
  };
  // Generous ceilings: a hung phase must end the bench, but a slow 2-core box must not.
  const budget = 120_000 + (opts.runs + opts.warmup + opts.sessions) * 5_000;
  process.stderr.write(
    `sessions: pairing ${opts.warmup}+${opts.runs} one by one, then ${opts.sessions} (${opts.concurrency} at a time)…\n`,
  );
  pair = await runWorker<PairResult>({ ...common, phase: 'pair' }, budget);
  for (const concurrency of opts.restoreConcurrencies) {
    if (opts.simRestart) {
      process.stderr.write('sessions: killing the simulator (SIGKILL), reloading it from its data dir…\n');
      sim.kill('SIGKILL');
      await new Promise((r) => (sim.exitCode !== null || sim.signalCode !== null ? r(null) : sim.once('exit', r)));
      const t = performance.now();
      sim = forkTs('./lib/sim-child.ts', [], [simDir]);
      const info = await nextMessage<RemoteSimInfo & { type: string }>(sim, 'ready', 60_000);
      const reloadMs = performance.now() - t;
      const phones = ((await (await fetch(`${info.control}/phones`)).json()) as unknown[]).length;
      const dbBytes = ['sandbox.db', 'sandbox.db-wal'].reduce(
        (sum, f) => sum + (existsSync(join(simDir, f)) ? statSync(join(simDir, f)).size : 0),
        0,
      );
      simReloads.push({ reloadMs, phones, dbBytes, rss: procUsage(sim.pid!)?.rss ?? null });
      Object.assign(common, { sim: { url: info.url, rootKey: info.rootKey, control: info.control }, simPid: sim.pid! });
    }
    process.stderr.write(`sessions: restoring ${pair.ids.length} in a new process, ${concurrency} at a time…\n`);
    const r = await runWorker<RestoreResult>(
      { ...common, phase: 'restore', restoreConcurrency: concurrency, token: pair.token, ids: pair.ids },
      budget,
    );
    restores.push({ concurrency, r });
  }
  if (opts.cpuProf) profiles = profileSummary(profDir);
} catch (err) {
  process.stderr.write(`sessions bench failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  sim.send({ type: 'stop' });
  await new Promise((r) => (sim.exitCode !== null ? r(null) : sim.once('exit', r)));
  for (const c of children) c.kill('SIGKILL'); // only ever our own forks, by handle
  if (!opts.keep) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  else process.stderr.write(`data dir kept: ${dir}\n`);
}
if (process.exitCode) process.exit();
print(pair!);

function print(pair: PairResult): void {
  const restore = restores[0].r;
  const n = opts.sessions;
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const flags = `--sessions ${n} --runs ${opts.runs} --warmup ${opts.warmup} --concurrency ${opts.concurrency} --settle-ms ${opts.settleMs} --restore-concurrency ${opts.restoreConcurrencies.join(',')}${opts.lateMs ? ` --late-ms ${opts.lateMs}` : ''}${opts.cpuProf ? ' --cpu-prof' : ''}${opts.simRestart ? ' --sim-restart' : ''}`;
  line('### Sessions: HTTP API + Baileys engine + simulator, SQLite');
  line();
  line(`\`npm run bench -- sessions ${flags}\``);
  line();
  line(
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; gateway, simulator and orchestrator in separate processes; ` +
      `production manager options; total ${sec(performance.now() - t0)}.`,
  );
  line();
  const L = pair.latency;
  line('| latency | N | median (p90, min–max) |');
  line('|---|---|---|');
  line(
    `| create + start → first \`/v2/auth/qr\` with a value | ${L.createToQr.length} | ${cell(summarize(L.createToQr))} |`,
  );
  line(`| ↳ \`POST /v2/session/create\` answered | ${L.createHttp.length} | ${cell(summarize(L.createHttp))} |`);
  line(`| ↳ \`POST /v2/session/start\` answered | ${L.startHttp.length} | ${cell(summarize(L.startHttp))} |`);
  line(
    `| \`POST /sandbox/scan\` → WORKING (bus event) | ${L.scanToWorking.length} | ${cell(summarize(L.scanToWorking))} |`,
  );
  line(
    `| ↳ \`/sandbox/scan\` answered (pair-success sent) | ${L.scanAnswered.length} | ${cell(summarize(L.scanAnswered))} |`,
  );
  line(`| ↳ WORKING confirmed by \`GET /v2/session/info\` | ${L.confirmed.length} | ${cell(summarize(L.confirmed))} |`);
  line(
    `| create → WORKING under load (${opts.concurrency} at a time) | ${pair.wave.perSession.length} | ${cell(summarize(pair.wave.perSession))} |`,
  );
  for (const { concurrency, r } of restores) {
    line(
      `| boot_restore → WORKING per session (${concurrency} at a time) | ${r.perSession.length} | ${cell(summarize(r.perSession))} |`,
    );
  }
  line();

  const w = pair.wave;
  const row = (what: string, b: number, a: number, per = true) =>
    line(`| ${what} | ${mib(b)} | ${mib(a)} | ${mib(a - b)} | ${per ? kib((a - b) / n) : '—'} |`);
  line(
    `| memory, ${n} sessions WORKING (${w.working} confirmed), after forced GC${w.gc ? '' : ' (NO --expose-gc!)'} + ${opts.settleMs} ms | before | after | delta | per session |`,
  );
  line('|---|---|---|---|---|');
  row('gateway RSS', w.before.rss, w.after.rss);
  row('gateway heapUsed', w.before.heapUsed, w.after.heapUsed);
  row('gateway external (Buffers, native)', w.before.external, w.after.external);
  if (w.simRssBefore !== null && w.simRssAfter !== null)
    row('simulator RSS (own process, no GC)', w.simRssBefore, w.simRssAfter);
  if (w.late) {
    const lateS = (opts.lateMs / 1000).toFixed(0);
    row(`gateway RSS ${lateS} s later`, w.before.rss, w.late.rss);
    row(`gateway heapUsed ${lateS} s later`, w.before.heapUsed, w.late.heapUsed);
  }
  row(
    `restored gateway RSS (life 2, fresh process, ${restores[0].concurrency} at a time)`,
    restore.before.rss,
    restore.after.rss,
  );
  row('restored gateway heapUsed (life 2)', restore.before.heapUsed, restore.after.heapUsed);
  line();

  if (simReloads.length) {
    line(
      '| simulator killed (SIGKILL) and reloaded from its data dir before each restore | ' +
        simReloads.map((_, i) => `restore ${i + 1}`).join(' | ') +
        ' |',
    );
    line(`|---|${simReloads.map(() => '---|').join('')}`);
    line(`| fork → listening with every phone loaded | ${simReloads.map((x) => ms(x.reloadMs)).join(' | ')} |`);
    line(
      `| phones / \`sandbox.db\` (+ WAL) on disk / per phone | ${simReloads.map((x) => `${x.phones} / ${mib(x.dbBytes)} / ${kib(x.dbBytes / x.phones)}`).join(' | ')} |`,
    );
    // Per phone: above the first simulator's RSS before any pairing (an empty simulator).
    const empty = pair.wave.simRssBefore;
    line(
      `| simulator RSS once loaded / per phone above an empty simulator${empty === null ? '' : ` (${mib(empty)})`} | ` +
        `${simReloads.map((x) => (x.rss === null ? '—' : `${mib(x.rss)} / ${empty === null ? '—' : kib((x.rss - empty) / x.phones)}`)).join(' | ')} |`,
    );
    line();
  }
  line(
    `| restore of ${n} in a new process (same store, master key, ${simReloads.length ? 'reloaded ' : ''}simulator) | ${restores.map((x) => `${x.concurrency} at a time`).join(' | ')} |`,
  );
  line(`|---|${restores.map(() => '---|').join('')}`);
  const each = (f: (r: RestoreResult) => string) => restores.map(({ r }) => f(r)).join(' | ');
  line(
    `| \`restoreAll()\` returned / WORKING via \`/v2/session/info\` | ${each((r) => `${r.count} / ${r.verified}`)} |`,
  );
  line(`| process start → gateway listening (module load incl. tsx, store open) | ${each((r) => ms(r.bootMs))} |`);
  line(`| \`restoreAll()\` → first WORKING | ${each((r) => ms(r.firstWorkingMs))} |`);
  line(`| \`restoreAll()\` resolved | ${each((r) => sec(r.restoreAllMs))} |`);
  line(
    `| **\`restoreAll()\` → all ${n} WORKING** | ${each((r) => `**${sec(r.allWorkingMs)}** (${((n / r.allWorkingMs) * 1000).toFixed(1)}/s)`)} |`,
  );
  line(`| \`manager.shutdown()\` of ${n} WORKING afterwards | ${each((r) => ms(r.shutdown.sessionsMs))} |`);
  line();
  line(`Life 1 \`manager.shutdown()\` of ${n} WORKING (after pairing): ${ms(pair.shutdown.sessionsMs)}.`);
  line();

  const loadRow = (what: string, l: Load) =>
    line(
      `| ${what} | ${sec(l.wallMs)} | ${sec(l.cpuMs)} (${ms(l.cpuMs / n)}/session) | ${l.simCpuMs === null ? '—' : `${sec(l.simCpuMs)} (${ms(l.simCpuMs / n)}/session)`} | ` +
        `${ms(l.eldP50)} / ${ms(l.eldP99)} / ${ms(l.eldMax)} |`,
    );
  line('| load | wall | gateway CPU | simulator CPU | gateway event-loop delay p50 / p99 / max |');
  line('|---|---|---|---|---|');
  loadRow(`pair ${n} (${opts.concurrency} at a time)`, w.load);
  for (const { concurrency, r } of restores) loadRow(`restore ${n} (${concurrency} at a time)`, r.load);
  line();
  line(`Status history of a paired session: ${L.history.join(' → ')}.`);
  line(`Status history of a restored session: ${restore.history.join(' → ')}.`);
  if (profiles) line(`\n${profiles}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
