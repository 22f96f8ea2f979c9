/**
 * HTTP throughput as users run Switchboard: the gateway started as `npm start` starts it (its own process, default
 * settings), a second gateway with `LOG_LEVEL=warn`, a bare Fastify server in its own process returning the same
 * JSON as /v2/session/me, and autocannon in a third process. Interleaved rounds (bare, then each gateway route),
 * so a noisy neighbour hurts every target alike; the ratios within one run are the figures that count.
 *
 * Both gateways run in sandbox mode (SWITCHBOARD_SANDBOX=1): /me answers 200 only for a WORKING session, and the
 * embedded simulator is the only way to get one without a phone. The session is idle while measured.
 *
 *   npm run bench -- http [--connections 50] [--duration 5] [--rounds 3] [--cpu-prof | --cpu-prof-dir DIR]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autocannon, startBareProcess, startGatewayProcess, type LoadRun, type Served } from './lib/processes.ts';
import { profileSummary } from './lib/profile-summary.ts';
import { boolFlag, intFlag, median, procUsage, sleep, stringFlag } from './lib/stats.ts';

const argv = process.argv.slice(2);
const connections = intFlag(argv, 'connections', 50);
const duration = intFlag(argv, 'duration', 5);
const rounds = intFlag(argv, 'rounds', 3);
/** --cpu-prof: V8 CPU profiles of both gateways (whole life, setup included), summarised after the tables. */
const keptProfiles = stringFlag(argv, 'cpu-prof-dir'); // keeps the .cpuprofile files there (else a temp dir)
const cpuProf = boolFlag(argv, 'cpu-prof') || keptProfiles !== undefined;
const ADMIN = 'bench-admin-token-0123456789abcdef';

interface Gateway extends Served {
  logFile: string;
}

async function json(url: string, init: RequestInit & { admin?: boolean } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...(init.admin ? { authorization: `Bearer ${ADMIN}` } : {}) };
  if (init.body) headers['content-type'] = 'application/json';
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function expect(a: { status: number; body: any }, status: number, what: string): any {
  if (a.status !== status) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
  return a.body;
}

/** An account, an instance started and scanned by a simulated phone: the /me URL once the name has synced. */
async function workingMe(base: string): Promise<{ url: string; body: unknown }> {
  const account = expect(
    await json(`${base}/admin/accounts`, { method: 'POST', admin: true, body: '{"name":"bench"}' }),
    201,
    'account',
  );
  const q = (extra: Record<string, string> = {}) =>
    new URLSearchParams({ access_token: account.access_token, ...extra });
  const { instance_id: id } = expect(await json(`${base}/v2/session/create?${q()}`, { method: 'POST' }), 201, 'create');
  expect(await json(`${base}/v2/session/start?${q({ instance_id: id })}`, { method: 'POST' }), 200, 'start');
  let qr: string | null = null;
  for (let i = 0; i < 400 && !qr; i++) {
    const a = await json(`${base}/v2/auth/qr?${q({ instance_id: id })}`);
    if (a.status === 200) qr = a.body.value;
    else await sleep(50);
  }
  if (!qr) throw new Error('no QR');
  const scan = { qr, phone: '201012345678', push_name: 'John Doe', platform: 'android' };
  expect(await json(`${base}/sandbox/scan`, { method: 'POST', admin: true, body: JSON.stringify(scan) }), 200, 'scan');
  const url = `${base}/v2/session/me?${q({ instance_id: id })}`;
  for (let i = 0; i < 600; i++) {
    const a = await json(url);
    if (a.status === 200 && a.body.pushName === 'John Doe') return { url, body: a.body };
    await sleep(50);
  }
  throw new Error('/me never answered with the synced name');
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
  const [meDefault, meWarn] = await Promise.all([workingMe(def.url), workingMe(warn.url)]);
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
} catch (err) {
  process.stderr.write(`http bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await Promise.all(started.map((s) => s.stop()));
  if (cpuProf) console.log(`\n${profileSummary(profileDir)}`);
  rmSync(dir, { recursive: true, force: true });
}
