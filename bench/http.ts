/**
 * HTTP throughput as users run Switchboard: the gateway started as `npm start` starts it (its own process, default
 * settings), and again with `LOG_LEVEL=warn`, a bare Fastify server in its own process returning the same JSON as
 * /v2/session/me, and autocannon in a third process. Interleaved rounds (bare, then each gateway route), so a noisy
 * neighbour hurts every target alike; the ratios within one run are the figures that count.
 *
 * Every round starts fresh processes, and only one gateway runs at a time (as on a user's server), next to the bare
 * server. Why: on this 2-vCPU VM the same build measured 28 to 42 µs of CPU per /me request depending on the process
 * (faster or slower for its whole life, in kernel and V8 code alike, so not our code), and a second gateway idling
 * next to the measured one cost it more. With one process per round, the median over rounds is a typical process,
 * not one lucky or unlucky one; the per-round figures show the spread.
 *
 * Within a round the targets alternate in short slices (bare, then the gateway's routes, `--slices` times, the
 * routes' order reversed every other time), and each slice's ratio is the route ÷ the bare slice just before it.
 * Why: the machine's own speed moves by ±30 % from one 2-second window to the next (bare alone measured 57 to 92 µs
 * of CPU per request in consecutive windows), so one long run per target compared windows of different speed; short
 * alternating slices compare neighbours. The figure is the median of every slice's ratio over all rounds.
 *
 * Both gateways run in sandbox mode (SWITCHBOARD_SANDBOX=1): /me answers 200 only for a WORKING session, and the
 * embedded simulator is the only way to get one without a phone. The session is idle while measured.
 * Last, a pairing storm on the default gateway: N sessions pair at once while /me is called back to back, with the
 * latency of those calls and the gateway's event-loop lag (its /metrics) over the storm.
 *
 * --pg adds a third gateway whose store is PostgreSQL (SWITCHBOARD_TEST_PG_URL or postgres://127.0.0.1:5432/test, a
 * throwaway schema), a one-node cluster as `npm start` runs it with DATABASE_URL: its /me in the same rounds, so
 * "/me on PostgreSQL vs SQLite" is read within one run (docs/multi-node.md "Change feed" keeps its auth cache exact).
 *
 *   npm run bench -- http [--connections 50] [--duration 2] [--slices 3] [--rounds 3] [--pair 10] [--callers 4] [--pg]
 *                          [--cpu-prof | --cpu-prof-dir DIR]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { withDefaultUser } from '../src/store/postgres/connection-url.ts';
import {
  autocannon,
  npmStartCommand,
  startBareProcess,
  startGatewayProcess,
  type LoadRun,
  type Served,
} from './lib/processes.ts';
import { profileSummary } from './lib/profile-summary.ts';
import { pairingStorm, SandboxClient } from './lib/sandbox-pairing.ts';
import { boolFlag, intFlag, median, procUsage, sleep, stringFlag } from './lib/stats.ts';

const argv = process.argv.slice(2);
const connections = intFlag(argv, 'connections', 50);
/** Seconds per slice; `--slices` alternations of bare and the gateway's routes per round. */
const duration = intFlag(argv, 'duration', 2);
const slices = Math.max(1, intFlag(argv, 'slices', 3));
/** Seconds of unrecorded load per target before a round's slices: JIT and keep-alive pools (~25k requests here). */
const WARM_UP_S = 1;
const rounds = intFlag(argv, 'rounds', 3);
/** --cpu-prof: V8 CPU profiles of both gateways (whole life, setup included), summarised after the tables. */
const keptProfiles = stringFlag(argv, 'cpu-prof-dir'); // keeps the .cpuprofile files there (else a temp dir)
const cpuProf = boolFlag(argv, 'cpu-prof') || keptProfiles !== undefined;
/** --pair N: after the rounds, N sessions pair at once while /me is called (0: skip); --callers: concurrent /me loops. */
const storm = intFlag(argv, 'pair', 10);
const callers = Math.max(1, intFlag(argv, 'callers', 4));
const ADMIN = 'bench-admin-token-0123456789abcdef';
const pgUrl = boolFlag(argv, 'pg') ? (process.env.SWITCHBOARD_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test') : null;
const start = npmStartCommand();
const startLine = ['node', ...start.nodeArgs, start.script, ...start.args].join(' ');
const pgSchemaPrefix = `sb_bench_http_${Date.now().toString(36)}`;

/** Creates or drops a throwaway schema of a PostgreSQL gateway (one per round: a fresh gateway restores nothing). */
async function pgSchemaDo(verb: 'CREATE' | 'DROP', pgSchema: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDefaultUser(pgUrl!) });
  await client.connect();
  try {
    await client.query(
      verb === 'CREATE' ? `CREATE SCHEMA "${pgSchema}"` : `DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`,
    );
  } finally {
    await client.end();
  }
}

interface Gateway extends Served {
  logFile: string;
}

/** An account and one instance paired by a simulated phone: the /me URL and body once the name has synced. */
async function workingMe(c: SandboxClient): Promise<{ url: string; body: unknown }> {
  const me = await c.pair(await c.account('bench'), '201012345678', 'John Doe');
  return { url: `${c.base}${me.mePath}`, body: me.body };
}

const newlines = (file: string, from: number): number => {
  const buf = readFileSync(file).subarray(from);
  let n = 0;
  for (const b of buf) if (b === 10) n++;
  return n;
};

interface Target {
  name: string;
  /** The URL and process of this round's server (fresh processes every round). */
  url: string;
  pid: number;
  /** The gateway's log, to count lines per request. */
  logFile?: string;
  runs: (LoadRun & { cpuUsPerReq: number; faultsPerReq: number; linesPerReq: number | null; bare?: LoadRun })[];
}

async function measure(t: Target): Promise<void> {
  const before = procUsage(t.pid);
  const logSize = t.logFile ? statSync(t.logFile).size : 0;
  const run = await autocannon(t.url, connections, duration);
  const after = procUsage(t.pid);
  if (run.non2xx || run.errors) throw new Error(`${t.name}: ${run.non2xx} non-2xx, ${run.errors} errors`);
  // The log is asynchronous: give the last buffered lines a moment to land before counting.
  if (t.logFile) await sleep(300);
  t.runs.push({
    ...run,
    cpuUsPerReq: before && after ? ((after.cpuMs - before.cpuMs) * 1000) / run.requests : Number.NaN,
    faultsPerReq: before && after ? (after.minorFaults - before.minorFaults) / run.requests : Number.NaN,
    linesPerReq: t.logFile ? newlines(t.logFile, logSize) / run.requests : null,
  });
}

/** A gateway configuration: its environment, and the routes measured on it (name, path from the /me URL). */
interface Config {
  name: string;
  env: (round: number) => Promise<Record<string, string>>;
  routes: Array<{ target: Target; path: (me: string) => string }>;
}

const target = (name: string): Target => ({ name, url: '', pid: 0, runs: [] });

const dir = mkdtempSync(join(tmpdir(), 'sb-bench-http-'));
const profileDir = keptProfiles ?? join(dir, 'profiles');
const started = new Set<Served>();
const schemas: string[] = [];
try {
  const gateway = async (name: string, env: Record<string, string>): Promise<Gateway> => {
    const logFile = join(dir, `${name}.log`);
    const g = await startGatewayProcess({
      logFile,
      nodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : [],
      env: { SWITCHBOARD_SANDBOX: '1', SWITCHBOARD_ADMIN_TOKEN: ADMIN, SWITCHBOARD_DATA_DIR: join(dir, name), ...env },
    });
    started.add(g);
    return { ...g, logFile };
  };
  const stop = async (s: Served): Promise<void> => {
    await s.stop();
    started.delete(s);
  };
  const bare = target('bare Fastify (own process), same JSON');
  // A SQLite gateway with `env`: its /me and /health, named with `label`.
  const sqlite = (name: string, env: Record<string, string>, label: string): Config => ({
    name,
    env: async () => env,
    routes: [
      { target: target(`\`GET /v2/session/me\`, ${label}`), path: (me) => me },
      { target: target(`\`GET /health\`, ${label}`), path: (me) => `${new URL(me).origin}/health` },
    ],
  });
  const configs: Config[] = [
    sqlite('default', {}, 'default settings'),
    sqlite('warn', { LOG_LEVEL: 'warn' }, '`LOG_LEVEL=warn`'),
  ];
  if (pgUrl) {
    configs.push({
      name: 'postgres',
      env: async (round) => {
        const schema = `${pgSchemaPrefix}_${round}`;
        await pgSchemaDo('CREATE', schema);
        schemas.push(schema);
        const db = new URL(pgUrl);
        db.searchParams.set('options', `-c search_path=${schema}`);
        return { DATABASE_URL: db.toString() };
      },
      routes: [{ target: target('`GET /v2/session/me`, default settings, store on PostgreSQL'), path: (me) => me }],
    });
  }
  const targets = [bare, ...configs.flatMap((c) => c.routes.map((r) => r.target))];

  for (let r = 0; r < rounds; r++) {
    process.stderr.write(`http: round ${r + 1}/${rounds} (fresh processes)…\n`);
    let bareServer: Served | null = null;
    // Alternate the order of the gateways from round to round, so neither always runs first.
    for (const c of r % 2 ? [...configs].reverse() : configs) {
      const g = await gateway(`${c.name}-${r + 1}`, await c.env(r + 1));
      const me = await workingMe(new SandboxClient(g.url, ADMIN));
      if (!bareServer) {
        bareServer = await startBareProcess(me.body);
        started.add(bareServer);
        Object.assign(bare, { url: `${bareServer.url}/me`, pid: bareServer.child.pid! });
      }
      for (const { target: t, path } of c.routes)
        Object.assign(t, { url: path(me.url), pid: g.child.pid!, logFile: g.logFile });
      // Warm-up (JIT, keep-alive pools), not recorded; then slices: bare, then the routes (every other time in
      // reverse order), each route's slice paired with the bare slice just before it.
      const routes = c.routes.map((x) => x.target);
      for (const t of [bare, ...routes]) await autocannon(t.url, connections, WARM_UP_S);
      for (let s = 0; s < slices; s++) {
        await measure(bare);
        const paired = bare.runs.at(-1)!;
        for (const t of s % 2 ? [...routes].reverse() : routes) {
          await measure(t);
          t.runs.at(-1)!.bare = paired;
        }
      }
      await stop(g);
    }
    if (bareServer) await stop(bareServer);
  }

  const m = (t: Target, k: 'rps' | 'p50' | 'p99' | 'cpuUsPerReq' | 'faultsPerReq') => median(t.runs.map((x) => x[k]));
  const base = targets[0];
  console.log(
    `Command: \`npm run bench -- http --connections ${connections} --duration ${duration} --slices ${slices} --rounds ${rounds}\``,
  );
  console.log('');
  console.log(
    '| target | req/s (median) | p50 | p99 | ÷ bare req/s | p99 ÷ bare p99 | server CPU per request | page faults per request | log lines per request |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  /** A target's per-slice values, slices joined by `/`, rounds by `|` (bare has one slice per gateway slice group). */
  const perRound = (t: Target, f: (x: Target['runs'][number]) => string) => {
    const per = t.runs.length / rounds;
    return Array.from({ length: rounds }, (_, r) =>
      t.runs
        .slice(r * per, (r + 1) * per)
        .map(f)
        .join('/'),
    ).join(' | ');
  };
  // Ratios per slice (each gateway slice ÷ the bare slice just before it, so drift of the machine cancels), then
  // their median over every slice of every round.
  const ratioOf = (t: Target, k: 'rps' | 'p99') => median(t.runs.map((x) => x[k] / x.bare![k]));
  for (const t of targets) {
    const ratio = t === base ? '' : `**${ratioOf(t, 'rps').toFixed(2)}×**`;
    const p99r = t === base ? '' : `${ratioOf(t, 'p99').toFixed(2)}×`;
    const lines = t.runs[0]?.linesPerReq === null ? '' : median(t.runs.map((x) => x.linesPerReq ?? 0)).toFixed(2);
    console.log(
      `| ${t.name} | ${m(t, 'rps').toFixed(0)} | ${m(t, 'p50').toFixed(2)} ms | ${m(t, 'p99').toFixed(2)} ms | ${ratio} | ${p99r} | ${m(t, 'cpuUsPerReq').toFixed(0)} µs | ${m(t, 'faultsPerReq').toFixed(2)} | ${lines} |`,
    );
  }
  console.log('');
  console.log(
    `Each target: ${rounds} rounds, each with fresh processes and one gateway at a time next to the bare server; in ` +
      `a round, after a ${WARM_UP_S} s warm-up per target, ${slices} alternations of autocannon -c ${connections} -d ${duration} (own ` +
      'process) on bare, then on each route of the gateway (in reverse order every other time); each route slice is ' +
      'divided by the bare slice just before it, and the ratios are the median of those per-slice ratios. Gateways: ' +
      `\`${startLine}\` (\`npm start\`) with \`SWITCHBOARD_SANDBOX=1\` (a WORKING session needs the embedded ` +
      'simulator), stdout to a file. Per-slice ratios to bare, slices by `/`, rounds by `|`: ' +
      targets
        .slice(1)
        .map((t) => `${t.name}: ${perRound(t, (x) => (x.rps / x.bare!.rps).toFixed(2))}`)
        .join(' · ') +
      '. Per-slice req/s: ' +
      targets.map((t) => perRound(t, (x) => x.rps.toFixed(0))).join(' · ') +
      '; CPU µs per request: ' +
      targets.map((t) => perRound(t, (x) => x.cpuUsPerReq.toFixed(0))).join(' · ') +
      '; minor page faults per request: ' +
      targets.map((t) => perRound(t, (x) => x.faultsPerReq.toFixed(2))).join(' · ') +
      '.',
  );

  if (storm > 0) {
    // Last, on a fresh default gateway of its own, so the sessions it adds never weigh on the rounds above.
    process.stderr.write(`http: pairing ${storm} sessions at once while ${callers} callers poll /me…\n`);
    const g = await gateway('storm', {});
    const client = new SandboxClient(g.url, ADMIN);
    const me = new URL((await workingMe(client)).url);
    const r = await pairingStorm(client, me.pathname + me.search, storm, callers);
    await stop(g);
    console.log('');
    console.log(
      `While ${r.sessions} sessions pair at once (default settings gateway; ${callers} callers calling \`/me\` back to back from ` +
        "the bench process; event-loop lag from the gateway's own `/metrics`, reset just before):",
    );
    console.log('');
    console.log(
      '| pairing wall time | `/me` calls answered | `/me` p50 | `/me` p99 | `/me` max | event-loop lag p99 | event-loop lag max |',
    );
    console.log('|---|---|---|---|---|---|---|');
    const f = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
    console.log(
      `| ${(r.wallMs / 1000).toFixed(1)} s | ${r.meCalls} | ${f(r.meP50)} | **${f(r.meP99)}** | ${f(r.meMax)} | **${f(r.lagP99Ms)}** | ${f(r.lagMaxMs)} |`,
    );
  }
} catch (err) {
  process.stderr.write(`http bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await Promise.all([...started].map((s) => s.stop()));
  for (const schema of schemas)
    await pgSchemaDo('DROP', schema).catch((err: unknown) => process.stderr.write(`drop schema: ${String(err)}\n`));
  if (cpuProf) console.log(`\n${profileSummary(profileDir)}`);
  rmSync(dir, { recursive: true, force: true });
}
