/**
 * Many sessions on one node, as users run it: the standalone simulator (bench/lib/sim-child.ts) in its own process,
 * the gateway as `npm start` runs it (`node bin/switchboard.mjs serve`, default settings, SQLite in a temp data dir,
 * pointed at the simulator through SWITCHBOARD_WA_URL + SWITCHBOARD_WA_ROOT_KEY) in another, autocannon in a third,
 * and this process driving everything over real HTTP. In order:
 *
 *  1. one session paired; the gateway settles: its RSS and heap are the baseline ("idle gateway, 1 session"); a
 *     second gateway process of the same build gets exactly one session, the "/me with one" reference;
 *  2. N−1 more sessions paired `--batch` at a time (a sliding window: a new pairing starts as soon as one ends);
 *     per session, create → `/me` answers (WORKING); a failed pairing is reported and its instance deleted;
 *  3. settle `--settle-ms`, then RSS (from /proc/<pid>/status VmRSS) and V8 heap used (from the gateway's /metrics,
 *     `switchboard_nodejs_heap_size_used_bytes`, lowest of a few scrapes: no forced GC is possible from outside),
 *     per session = (figure − baseline) ÷ (paired − 1); the simulator's RSS too; push names synced so far;
 *  4. idle CPU of both gateways, then `/me` on both in interleaved autocannon rounds, with CPU per request; the same
 *     rounds were run in step 1, when both had one session. The figure is the same gateway process after ÷ before
 *     (the target's "its figure with one"): two processes of the same build differ by up to ~1.4× on this VM for
 *     their whole life (BENCHMARKS.md), so a second process is no baseline. The reference process (1 session
 *     throughout) shows how far the machine itself drifted between the two measurements (its own after ÷ before);
 *     the target is judged on the figure divided by that drift, and all three are printed;
 *  5. `kill -9` of the gateway, a new gateway process on the same data dir: time from the kill until the account's
 *     instance list (`GET /v2/account/instances`) shows every paired instance WORKING with a status change after
 *     the kill.
 *
 *   npm run bench -- scale [--sessions 1000] [--batch 20] [--settle-ms 15000] [--connections 50] [--duration 3]
 *                          [--poll-ms 500] [--pair-timeout-ms 180000] [--cpu-prof] [--cpu-prof-dir DIR]
 * --cpu-prof: the restarted gateway runs with `--cpu-prof`; the profile of the restore is summarised at the end.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { mapLimited } from './lib/gateway.ts';
import {
  autocannon,
  benchTempDir,
  startGatewayProcess,
  startSimProcess,
  type LoadRun,
  type Served,
} from './lib/processes.ts';
import { categoryBreakdown, mainProfile, profileSummary, type Category } from './lib/profile-summary.ts';
import { SandboxClient } from './lib/sandbox-pairing.ts';
import { boolFlag, intFlag, kib, mib, ms, procUsage, sec, sleep, stringFlag, summarize } from './lib/stats.ts';

const argv = process.argv.slice(2);
// 1,000 by default: issue 16's targets are for 1,000 sessions, and since the engine threads share one native
// AsyncLocalStorage (src/engine/baileys/shared-async-storage.ts) pairing and restoring cost the same per session at
// 1,000 as at 100, so the whole `npm run bench` fits its 15 minutes on 2 cores. Smaller runs: `--sessions 300`.
const N = Math.max(2, intFlag(argv, 'sessions', 1000));
const batch = Math.max(1, intFlag(argv, 'batch', 20));
const settleMs = intFlag(argv, 'settle-ms', 15_000);
const connections = intFlag(argv, 'connections', 50);
const duration = intFlag(argv, 'duration', 3);
const pollMs = Math.max(50, intFlag(argv, 'poll-ms', 500));
/** Per pairing: the wait for its QR and, separately, for /me with the synced name. */
const pairTimeoutMs = intFlag(argv, 'pair-timeout-ms', 180_000);
/**
 * Paired = WORKING (/me answers). The push name arrives later by app-state sync; on a loaded machine Baileys can give
 * up waiting for the initial sync ("Timeout in AwaitingInitialSync") and the name stays null, which is counted apart.
 */
const pairOptions = { timeoutMs: pairTimeoutMs, waitForName: false };
const keptProfiles = stringFlag(argv, 'cpu-prof-dir');
const cpuProf = boolFlag(argv, 'cpu-prof') || keptProfiles !== undefined;
const ADMIN = 'bench-admin-token-0123456789abcdef';

/**
 * What a restored session costs, by phase (a sample counts for the first category with a frame on its stack). The
 * phases are Baileys' own functions and files (lib/Socket/socket.js, lib/Utils/noise-handler.js, chat-utils.js);
 * after them, what the gateway adds (store, logging, HTTP for the bench's own list polls).
 */
const RESTORE_CATEGORIES: Category[] = [
  {
    name: 'pre-key check and upload (Baileys `uploadPreKeysToServerIfRequired`)',
    frame: (fn) => /^(uploadPreKeys|uploadPreKeysToServerIfRequired|getAvailablePreKeysOnServer)$/.test(fn),
  },
  {
    name: 'app-state sync (Baileys `resyncAppState`, chat-utils, LT hash)',
    frame: (fn, url) =>
      /resyncAppState|decodeSyncd|decodePatches/.test(fn) || /chat-utils|lt-hash|sync-action/.test(url),
  },
  { name: 'Noise handshake and frame crypto (noise-handler)', frame: (_, url) => url.includes('noise-handler') },
  { name: 'login and connection validation', frame: (_, url) => url.includes('validate-connection') },
  { name: 'libsignal (sessions, keys)', frame: (_, url) => /node_modules\/(libsignal|curve25519)/.test(url) },
  { name: 'SQLite (better-sqlite3) and the store', frame: (_, url) => /better-sqlite3|\/src\/store\//.test(url) },
  { name: 'logging (pino)', frame: (_, url) => /node_modules\/(pino|sonic-boom|thread-stream)/.test(url) },
  {
    name: "HTTP (Fastify: the bench's list polls and /metrics scrapes)",
    frame: (_, url) => /node_modules\/(fastify|find-my-way|light-my-request)/.test(url),
  },
  { name: 'WebSocket (ws)', frame: (_, url) => url.includes('node_modules/ws/') },
  { name: 'gateway sessions and engine code', frame: (_, url) => /\/src\/(sessions|engine)\//.test(url) },
  { name: 'other Baileys', frame: (_, url) => url.includes('node_modules/baileys/') },
  {
    name: 'module loading (boot)',
    frame: (fn, url) =>
      /^(compileFunction|wrapSafe|Module\._load|require)$/.test(fn) || url.includes('node:internal/modules'),
  },
  { name: 'garbage collection', frame: (fn) => fn === '(garbage collector)' },
];

const say = (line: string) => process.stderr.write(`scale: ${line}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

interface Memory {
  rss: number;
  heapUsed: number;
}

/** RSS from /proc (one reading at the end) and heap used from /metrics (lowest of `samples` scrapes 1 s apart). */
async function gatewayMemory(c: SandboxClient, pid: number, samples = 5): Promise<Memory> {
  let heapUsed = Number.POSITIVE_INFINITY;
  for (let i = 0; i < samples; i++) {
    if (i) await sleep(1000);
    const [heap] = await c.metrics('switchboard_nodejs_heap_size_used_bytes');
    heapUsed = Math.min(heapUsed, heap);
  }
  const rss = procUsage(pid)?.rss ?? Number.NaN;
  return { rss, heapUsed };
}

interface MeRun extends LoadRun {
  /** The gateway's user + system CPU over the run ÷ requests answered (from /proc): steadier than req/s here. */
  cpuUsPerReq: number;
}

/** One gateway under test: /me's URL and the PID whose CPU is read. */
interface MeTarget {
  url: string;
  pid: number;
}

/** CPU the gateway burns with no request in flight (its sessions' own work), in % of one core over `ms`. */
async function idleCpuPercent(pid: number, ms = 5000): Promise<number> {
  const before = procUsage(pid)?.cpuMs ?? Number.NaN;
  await sleep(ms);
  return (100 * ((procUsage(pid)?.cpuMs ?? Number.NaN) - before)) / ms;
}

/** /me under autocannon on both gateways: a 2 s warm-up each, then `rounds` interleaved runs; the median of each. */
async function meThroughput(one: MeTarget, many: MeTarget, rounds = 3): Promise<{ one: MeRun; many: MeRun }> {
  await autocannon(one.url, connections, 2);
  await autocannon(many.url, connections, 2);
  const runs = new Map<MeTarget, MeRun[]>([
    [one, []],
    [many, []],
  ]);
  for (let r = 0; r < rounds; r++) {
    for (const t of [one, many]) {
      const cpu0 = procUsage(t.pid)?.cpuMs ?? Number.NaN;
      const run = await autocannon(t.url, connections, duration);
      const cpuMs = (procUsage(t.pid)?.cpuMs ?? Number.NaN) - cpu0;
      if (run.non2xx || run.errors) throw new Error(`/me: ${run.non2xx} non-2xx, ${run.errors} errors`);
      runs.get(t)!.push({ ...run, cpuUsPerReq: (cpuMs * 1000) / run.requests });
    }
  }
  const mid = (t: MeTarget) => [...runs.get(t)!].sort((a, b) => a.rps - b.rps)[rounds >> 1];
  return { one: mid(one), many: mid(many) };
}

const dir = benchTempDir('sb-bench-scale-');
const profileDir = keptProfiles ?? join(dir, 'profiles');
const stops: Array<() => Promise<void>> = [];
const loadAtStart = load();
try {
  const sim = await startSimProcess();
  stops.push(sim.stop);
  const env = {
    SWITCHBOARD_ADMIN_TOKEN: ADMIN,
    SWITCHBOARD_DATA_DIR: join(dir, 'data'),
    SWITCHBOARD_WA_URL: sim.url,
    SWITCHBOARD_WA_ROOT_KEY: sim.rootKey,
  };
  const logFile = join(dir, 'gateway.log');
  let gw: Served = await startGatewayProcess({ env, logFile });
  stops.push(() => gw.stop());
  say(`gateway pid ${gw.child.pid}, simulator pid ${sim.child.pid}, ${N} sessions, ${batch} at a time, load ${load()}`);

  const scan = async (body: unknown) => {
    const res = await fetch(`${sim.control}/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator /scan: HTTP ${res.status} ${await res.text()}`);
  };
  let client = new SandboxClient(gw.url, ADMIN, scan);
  const token = await client.account('scale', N + 10);
  const phone = (i: number) => `2019${String(i).padStart(8, '0')}`;

  // 1. One session, the baseline. A second gateway process of the same build (same simulator, its own data dir)
  // keeps exactly one live session, so /me with 1 vs with N can be measured in interleaved rounds at the end.
  const first = await client.pair(token, phone(0), 'Scale 0', pairOptions);
  const oneGw = await startGatewayProcess({
    env: { ...env, SWITCHBOARD_DATA_DIR: join(dir, 'data-one') },
    logFile: join(dir, 'gateway-one.log'),
  });
  stops.push(oneGw.stop);
  const oneClient = new SandboxClient(oneGw.url, ADMIN, scan);
  const oneMe = await oneClient.pair(await oneClient.account('one'), phone(N + 1), 'One', pairOptions);
  await sleep(settleMs);
  say('/me with 1 session on both gateways, interleaved (the before of the comparison)…');
  const meBefore = await meThroughput(
    { url: `${oneGw.url}${oneMe.mePath}`, pid: oneGw.child.pid! },
    { url: `${gw.url}${first.mePath}`, pid: gw.child.pid! },
  );
  const base = await gatewayMemory(client, gw.child.pid!);
  const simBase = procUsage(sim.child.pid!)?.rss ?? Number.NaN;
  say(`baseline with 1 session: RSS ${mib(base.rss)}, heap ${mib(base.heapUsed)}`);

  // 2. N−1 more, `batch` at a time.
  const perSession: number[] = [];
  let done = 1;
  const t0 = performance.now();
  const pairCpu0 = procUsage(gw.child.pid!)?.cpuMs ?? Number.NaN;
  // A pairing that fails (a loaded machine can starve one past its timeouts) is counted, reported and its instance
  // deleted, rather than ending a run that has paired hundreds: the figures below are per session that paired.
  const paired = new Set([first.id]);
  const failures: string[] = [];
  await mapLimited(
    Array.from({ length: N - 1 }, (_, i) => i + 1),
    batch,
    async (i) => {
      const t = performance.now();
      try {
        paired.add((await client.pair(token, phone(i), `Scale ${i}`, pairOptions)).id);
        perSession.push(performance.now() - t);
      } catch (err) {
        failures.push((err as Error).message);
        say(`pairing ${i} failed: ${(err as Error).message}`);
        const id = /^(\S+): /.exec((err as Error).message)?.[1];
        if (id) await client.call('DELETE', `/v2/session/delete?access_token=${token}&instance_id=${id}`);
      }
      if (++done % 50 === 0 || done === N)
        say(`${done}/${N} done, ${sec(performance.now() - t0)} since pairing began, load ${load()}`);
    },
  );
  const live = paired.size;
  const pairWall = performance.now() - t0;
  const pairCpuPerSession = ((procUsage(gw.child.pid!)?.cpuMs ?? Number.NaN) - pairCpu0) / (N - 1);
  const loadAfterPairing = load();

  // 3. Settled memory.
  say(`${live} WORKING (${failures.length} failed) in ${sec(pairWall)}; settling ${settleMs} ms…`);
  await sleep(settleMs);
  const full = await gatewayMemory(client, gw.child.pid!);
  const namesSynced = (
    (await client.expect(200, 'instances', 'GET', `/v2/account/instances?access_token=${token}`)) as {
      instance_id: string;
      me: { pushName: string | null } | null;
    }[]
  ).filter((i) => paired.has(i.instance_id) && i.me?.pushName).length;
  const simFull = procUsage(sim.child.pid!)?.rss ?? Number.NaN;
  const per = (a: number, b: number) => (a - b) / (live - 1);

  // 4. /me with N live vs the 1-session gateway, interleaved.
  say(`RSS ${mib(full.rss)}, heap ${mib(full.heapUsed)}; /me with ${live} live sessions vs with 1, interleaved…`);
  const [idleOne, idleMany] = await Promise.all([idleCpuPercent(oneGw.child.pid!), idleCpuPercent(gw.child.pid!)]);
  const { one: meOne, many: meMany } = await meThroughput(
    { url: `${oneGw.url}${oneMe.mePath}`, pid: oneGw.child.pid! },
    { url: `${gw.url}${first.mePath}`, pid: gw.child.pid! },
  );
  await oneGw.stop();

  // 5. kill -9 and restore.
  say(`kill -9 ${gw.child.pid}, restarting on the same data dir…`);
  const killedAt = Date.now();
  const tKill = performance.now();
  gw.child.kill('SIGKILL');
  await new Promise<void>((r) =>
    gw.child.exitCode !== null || gw.child.signalCode ? r() : gw.child.once('exit', () => r()),
  );
  const nodeArgs = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'restore')}`] : [];
  gw = await startGatewayProcess({ env, logFile, nodeArgs });
  const healthMs = performance.now() - tKill;
  client = new SandboxClient(gw.url, ADMIN, scan);
  const restoreCpu0 = procUsage(gw.child.pid!)?.cpuMs ?? Number.NaN;
  let restoredMs = Number.NaN;
  let lastCount = -1;
  const restoreDeadline = performance.now() + Math.max(120_000, N * 500);
  while (performance.now() < restoreDeadline) {
    const list = (await client.expect(200, 'instances', 'GET', `/v2/account/instances?access_token=${token}`)) as {
      instance_id: string;
      status: string;
      updatedAt: string;
    }[];
    const working = list.filter(
      (i) => paired.has(i.instance_id) && i.status === 'WORKING' && Date.parse(i.updatedAt) >= killedAt,
    ).length;
    if (working !== lastCount && (working === live || working - lastCount >= 50 || lastCount < 0)) {
      say(`restore: ${working}/${live} WORKING after ${sec(performance.now() - tKill)}`);
      lastCount = working;
    }
    if (working === live) {
      restoredMs = performance.now() - tKill;
      break;
    }
    await sleep(pollMs);
  }
  const restoreCpuMs = (procUsage(gw.child.pid!)?.cpuMs ?? Number.NaN) - restoreCpu0;
  if (!Number.isFinite(restoredMs)) say(`restore did not complete (${lastCount}/${live} WORKING)`);
  await sleep(Math.min(settleMs, 5000));
  const restored = await gatewayMemory(client, gw.child.pid!, 3);
  const gatewayLifeCpuMs = procUsage(gw.child.pid!)?.cpuMs ?? Number.NaN; // boot + restore + settle, for the profile
  if (cpuProf) await gw.stop(); // writes the profile

  const pair = summarize(perSession);
  const rssPer = per(full.rss, base.rss);
  const ratio = meMany.rps / meBefore.many.rps;
  const drift = meOne.rps / meBefore.one.rps;
  // The machine's own drift over the same time, seen on the 1-session reference, divided out.
  const corrected = ratio / drift;
  const target = (ok: boolean) => (ok ? 'met' : '**not met**');
  console.log(
    `Command: \`npm run bench -- scale --sessions ${N} --batch ${batch} --settle-ms ${settleMs} --connections ${connections} --duration ${duration}\`. ` +
      `Load average at start ${loadAtStart}, after pairing ${loadAfterPairing} (2 cores).`,
  );
  console.log('');
  console.log('| measure | figure | target |');
  console.log('|---|---|---|');
  console.log(
    `| pair ${N - 1} sessions ${batch} at a time (create → \`/me\` answers: WORKING)${failures.length ? `: **${failures.length} failed** (first: ${failures[0]})` : ''} | ${sec(pairWall)} total; per session median ${ms(pair.median)}, p90 ${ms(pair.p90)}, max ${ms(pair.max)}; gateway CPU ${ms(pairCpuPerSession)} per session; push name synced for ${namesSynced} of ${live} once settled | |`,
  );
  console.log(
    `| gateway RSS per session, settled (/proc VmRSS, ${sec(settleMs)} after the last pairing) | **${kib(rssPer)}** (${mib(base.rss)} with 1 session → ${mib(full.rss)} with ${live}) | ≤ 1 MiB: ${target(rssPer <= 2 ** 20)} |`,
  );
  console.log(
    `| gateway heap used per session (/metrics, lowest of 5 scrapes) | ${kib(per(full.heapUsed, base.heapUsed))} (${mib(base.heapUsed)} → ${mib(full.heapUsed)}) | |`,
  );
  console.log(
    `| simulator RSS per session (its own process, /proc) | ${kib(per(simFull, simBase))} (${mib(simBase)} → ${mib(simFull)}) | |`,
  );
  console.log(
    `| \`kill -9\` → all ${live} WORKING again (new process, same data dir; list polled every ${pollMs} ms) | **${sec(restoredMs)}** (gateway answering /health after ${sec(healthMs)}; gateway CPU ${sec(restoreCpuMs)}${cpuProf ? ', under --cpu-prof' : ''}) | ≤ 20 s: ${target(restoredMs <= 20_000)} |`,
  );
  console.log(
    `| gateway after the restore | RSS ${mib(restored.rss)}, heap ${mib(restored.heapUsed)} (${kib(per(restored.rss, base.rss))} RSS per session over the 1-session baseline) | |`,
  );
  console.log(
    `| \`/me\` req/s with ${live} live sessions ÷ with 1 (autocannon -c ${connections}, median of 3 rounds × ${duration} s, interleaved with a reference gateway process that keeps 1 session; the same gateway process before pairing the others and after) | **${corrected.toFixed(2)}×** once the machine's drift is divided out; uncorrected ${ratio.toFixed(2)}× (${meMany.rps.toFixed(0)} vs ${meBefore.many.rps.toFixed(0)} req/s; CPU per request ${meMany.cpuUsPerReq.toFixed(0)} vs ${meBefore.many.cpuUsPerReq.toFixed(0)} µs; p99 ${meMany.p99.toFixed(2)} vs ${meBefore.many.p99.toFixed(2)} ms. The reference over the same time (the drift): ${drift.toFixed(2)}× (${meOne.rps.toFixed(0)} vs ${meBefore.one.rps.toFixed(0)} req/s, ${meOne.cpuUsPerReq.toFixed(0)} vs ${meBefore.one.cpuUsPerReq.toFixed(0)} µs); idle gateway CPU before the runs ${idleMany.toFixed(1)} % vs ${idleOne.toFixed(1)} % of a core) | ≥ 0.9×: ${target(corrected >= 0.9)} |`,
  );
  if (cpuProf) {
    const main = mainProfile(join(profileDir, 'restore'));
    console.log(`\nCPU profile of the restarted gateway (boot, restore, the bench's list polls, ~5 s settled):\n`);
    if (main)
      console.log(`${categoryBreakdown(main, RESTORE_CATEGORIES, live, 'restored session', gatewayLifeCpuMs)}\n`);
    console.log(profileSummary(profileDir));
  }
} catch (err) {
  say(`failed: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
