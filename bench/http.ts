/**
 * HTTP throughput as users run Switchboard: the gateway started as `npm start` starts it (its own process, default
 * settings), a second gateway with `LOG_LEVEL=warn`, a bare Fastify server in its own process returning the same
 * JSON as /v2/session/me, and autocannon in a third process. Interleaved rounds (bare, then each gateway route),
 * so a noisy neighbour hurts every target alike; the ratios within one run are the figures that count.
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
 *   npm run bench -- http [--connections 50] [--duration 5] [--rounds 3] [--pair 10] [--callers 4] [--pg]
 *                          [--cpu-prof | --cpu-prof-dir DIR]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { withDefaultUser } from '../src/store/postgres/connection-url.ts';
import { autocannon, startBareProcess, startGatewayProcess, type LoadRun, type Served } from './lib/processes.ts';
import { profileSummary } from './lib/profile-summary.ts';
import { pairingStorm, SandboxClient } from './lib/sandbox-pairing.ts';
import { boolFlag, intFlag, median, procUsage, sleep, stringFlag } from './lib/stats.ts';

const argv = process.argv.slice(2);
const connections = intFlag(argv, 'connections', 50);
const duration = intFlag(argv, 'duration', 5);
const rounds = intFlag(argv, 'rounds', 3);
/** --cpu-prof: V8 CPU profiles of both gateways (whole life, setup included), summarised after the tables. */
const keptProfiles = stringFlag(argv, 'cpu-prof-dir'); // keeps the .cpuprofile files there (else a temp dir)
const cpuProf = boolFlag(argv, 'cpu-prof') || keptProfiles !== undefined;
/** --pair N: after the rounds, N sessions pair at once while /me is called (0: skip); --callers: concurrent /me loops. */
const storm = intFlag(argv, 'pair', 10);
const callers = Math.max(1, intFlag(argv, 'callers', 4));
const ADMIN = 'bench-admin-token-0123456789abcdef';
const pgUrl = boolFlag(argv, 'pg') ? (process.env.SWITCHBOARD_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test') : null;
const pgSchema = `sb_bench_http_${Date.now().toString(36)}`;

/** Creates or drops the throwaway schema of the PostgreSQL gateway. */
async function pgSchemaDo(verb: 'CREATE' | 'DROP'): Promise<void> {
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
  url: string;
  pid: number;
  /** The gateway's log, to count lines per request. */
  logFile?: string;
  runs: (LoadRun & { cpuUsPerReq: number; linesPerReq: number | null })[];
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
    linesPerReq: t.logFile ? newlines(t.logFile, logSize) / run.requests : null,
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sb-bench-http-'));
const profileDir = keptProfiles ?? join(dir, 'profiles');
const started: Served[] = [];
try {
  const gateway = async (name: string, env: Record<string, string>): Promise<Gateway> => {
    const logFile = join(dir, `${name}.log`);
    const g = await startGatewayProcess({
      logFile,
      nodeArgs: cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : [],
      env: { SWITCHBOARD_SANDBOX: '1', SWITCHBOARD_ADMIN_TOKEN: ADMIN, SWITCHBOARD_DATA_DIR: join(dir, name), ...env },
    });
    started.push(g);
    return { ...g, logFile };
  };
  const def = await gateway('default', {});
  const warn = await gateway('warn', { LOG_LEVEL: 'warn' });
  const [defClient, warnClient] = [new SandboxClient(def.url, ADMIN), new SandboxClient(warn.url, ADMIN)];
  const [meDefault, meWarn] = await Promise.all([workingMe(defClient), workingMe(warnClient)]);
  let pgTarget: Target | null = null;
  if (pgUrl) {
    await pgSchemaDo('CREATE');
    const db = new URL(pgUrl);
    db.searchParams.set('options', `-c search_path=${pgSchema}`);
    const pgGateway = await gateway('postgres', { DATABASE_URL: db.toString() });
    const mePg = await workingMe(new SandboxClient(pgGateway.url, ADMIN));
    const name = '`GET /v2/session/me`, default settings, store on PostgreSQL';
    pgTarget = { name, url: mePg.url, pid: pgGateway.child.pid!, logFile: pgGateway.logFile, runs: [] };
  }
  const bare = await startBareProcess(meDefault.body);
  started.push(bare);

  const targets: Target[] = [
    { name: 'bare Fastify (own process), same JSON', url: `${bare.url}/me`, pid: bare.child.pid!, runs: [] },
    {
      name: '`GET /v2/session/me`, default settings',
      url: meDefault.url,
      pid: def.child.pid!,
      logFile: def.logFile,
      runs: [],
    },
    {
      name: '`GET /health`, default settings',
      url: `${def.url}/health`,
      pid: def.child.pid!,
      logFile: def.logFile,
      runs: [],
    },
    {
      name: '`GET /v2/session/me`, `LOG_LEVEL=warn`',
      url: meWarn.url,
      pid: warn.child.pid!,
      logFile: warn.logFile,
      runs: [],
    },
    {
      name: '`GET /health`, `LOG_LEVEL=warn`',
      url: `${warn.url}/health`,
      pid: warn.child.pid!,
      logFile: warn.logFile,
      runs: [],
    },
    ...(pgTarget ? [pgTarget] : []),
  ];
  // Warm-up (JIT, keep-alive pools), not recorded.
  for (const t of targets) await autocannon(t.url, connections, 2);
  for (let r = 0; r < rounds; r++) {
    process.stderr.write(`http: round ${r + 1}/${rounds}…\n`);
    for (const t of targets) await measure(t);
  }

  const m = (t: Target, k: 'rps' | 'p50' | 'p99' | 'cpuUsPerReq') => median(t.runs.map((x) => x[k]));
  const base = targets[0];
  console.log(
    `Command: \`npm run bench -- http --connections ${connections} --duration ${duration} --rounds ${rounds}\``,
  );
  console.log('');
  console.log(
    '| target | req/s (median) | p50 | p99 | ÷ bare req/s | p99 ÷ bare p99 | server CPU per request | log lines per request |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const t of targets) {
    const ratio = t === base ? '' : `**${(m(t, 'rps') / m(base, 'rps')).toFixed(2)}×**`;
    const p99r = t === base ? '' : `${(m(t, 'p99') / m(base, 'p99')).toFixed(2)}×`;
    const lines = t.runs[0]?.linesPerReq === null ? '' : median(t.runs.map((x) => x.linesPerReq ?? 0)).toFixed(2);
    console.log(
      `| ${t.name} | ${m(t, 'rps').toFixed(0)} | ${m(t, 'p50')} ms | ${m(t, 'p99')} ms | ${ratio} | ${p99r} | ${m(t, 'cpuUsPerReq').toFixed(0)} µs | ${lines} |`,
    );
  }
  console.log('');
  console.log(
    `Each target: ${rounds} interleaved rounds of autocannon -c ${connections} -d ${duration} (own process) after a 2 s warm-up. ` +
      'Gateways: `node bin/switchboard.mjs serve` with `SWITCHBOARD_SANDBOX=1` (a WORKING session needs the embedded simulator), ' +
      'stdout to a file. Per-round req/s: ' +
      targets.map((t) => t.runs.map((x) => x.rps.toFixed(0)).join('/')).join(' · ') +
      '.',
  );

  if (storm > 0) {
    // Last, so the sessions it adds never weigh on the rounds above.
    process.stderr.write(`http: pairing ${storm} sessions at once while ${callers} callers poll /me…\n`);
    const r = await pairingStorm(
      defClient,
      new URL(meDefault.url).pathname + new URL(meDefault.url).search,
      storm,
      callers,
    );
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
  await Promise.all(started.map((s) => s.stop()));
  if (pgUrl) await pgSchemaDo('DROP').catch((err: unknown) => process.stderr.write(`drop schema: ${String(err)}\n`));
  if (cpuProf) console.log(`\n${profileSummary(profileDir)}`);
  rmSync(dir, { recursive: true, force: true });
}
