/**
 * One gateway process of bench/sessions.ts (forked with --expose-gc, so its memory figures are its own: the
 * simulator and the orchestrator live in other processes). Two phases, one per process:
 *  - pair:    create→QR and scan→WORKING latencies (sequential, idle gateway), then N sessions brought to WORKING
 *             C at a time with memory before/after, then manager shutdown keeping credentials;
 *  - restore: a fresh process on the same data dir and master key runs restoreAll() and times all N to WORKING.
 * Parameters arrive as one IPC message; the result goes back as one IPC message, then the process exits
 * (Baileys rc14 leaves unref'd-less timers behind, so we do not wait for the loop to drain).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { expectStatus, mapLimited, startBenchGateway, type Answer, type BenchGateway } from './gateway.ts';
import type { RemoteSimInfo } from './remote-sim.ts';
import { cpuMsSince, procUsage, settledMemory, sleep, type MemSnapshot } from './stats.ts';

export interface WorkerParams {
  phase: 'pair' | 'restore';
  dir: string;
  masterKey: string; // base64
  sim: RemoteSimInfo;
  simPid: number;
  runs: number;
  warmup: number;
  sessions: number;
  concurrency: number;
  settleMs: number;
  restoreConcurrency: number;
  /** pair: a third memory reading this long after the second (Baileys caches every written Signal key for 5 min). */
  lateMs: number;
  /** restore: the account token and the instances the pair phase left WORKING. */
  token?: string;
  ids?: string[];
}

export interface Load {
  wallMs: number;
  cpuMs: number; // this process, user+system
  simCpuMs: number | null;
  eldP50: number; // event-loop delay, ms
  eldP99: number;
  eldMax: number;
}

export interface PairResult {
  latency: {
    createToQr: number[];
    createHttp: number[];
    startHttp: number[];
    scanToWorking: number[];
    scanAnswered: number[];
    confirmed: number[];
    history: string[];
  };
  wave: {
    n: number;
    perSession: number[];
    load: Load;
    before: MemSnapshot;
    after: MemSnapshot;
    gc: boolean;
    simRssBefore: number | null;
    simRssAfter: number | null;
    working: number;
    late: MemSnapshot | null;
  };
  shutdown: { httpMs: number; sessionsMs: number };
  token: string;
  ids: string[];
}

export interface RestoreResult {
  bootMs: number;
  count: number;
  restoreAllMs: number;
  firstWorkingMs: number;
  allWorkingMs: number;
  perSession: number[];
  load: Load;
  before: MemSnapshot;
  after: MemSnapshot;
  gc: boolean;
  verified: number;
  history: string[];
  shutdown: { httpMs: number; sessionsMs: number };
}

const ok = (a: Answer, what: string): Answer => {
  if (a.status < 200 || a.status > 299) throw new Error(`${what}: HTTP ${a.status} ${JSON.stringify(a.body)}`);
  return a;
};

/** Starts load accounting (CPU of both processes, event-loop delay); call the result to stop it. */
function measureLoad(simPid: number): () => Load {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const sim0 = procUsage(simPid)?.cpuMs ?? null;
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  return () => {
    eld.disable();
    const sim1 = procUsage(simPid)?.cpuMs ?? null;
    return {
      wallMs: performance.now() - t,
      cpuMs: cpuMsSince(cpu),
      simCpuMs: sim0 !== null && sim1 !== null ? sim1 - sim0 : null,
      eldP50: eld.percentile(50) / 1e6,
      eldP99: eld.percentile(99) / 1e6,
      eldMax: eld.max / 1e6,
    };
  };
}

let phoneSeq = 0;
/** Distinct 12-digit numbers per process phase, so simulated phones never collide across phases. */
const nextPhone = (phase: number) => `20${phase}${String(++phoneSeq).padStart(9, '0')}`;

interface Paired {
  id: string;
  createToQr: number;
  createHttp: number;
  startHttp: number;
  scanToWorking: number;
  scanAnswered: number;
  confirmed: number;
  total: number;
}

/**
 * One instance from nothing to WORKING through the public API: create, start, the first /v2/auth/qr answer with a
 * value, /sandbox/scan, WORKING. The QR route answers 409 until SCAN_QR_CODE, so rather than poll it (and add the
 * poll period to the figure) we ask it as soon as the bus publishes SCAN_QR_CODE; WORKING is timed at the bus
 * event, and one /v2/session/info confirms it over HTTP (its time is `confirmed`).
 */
async function pairOne(
  g: BenchGateway,
  token: string,
  name: string,
  phone: string,
  timeoutMs: number,
): Promise<Paired> {
  const t0 = performance.now();
  const created = expectStatus(
    await g.call('POST', '/v2/session/create', { query: { access_token: token }, body: { name } }),
    201,
    'create',
  );
  const id = created.body.instance_id as string;
  const tCreated = performance.now();
  ok(await g.instanceCall(token, id, 'POST', '/v2/session/start'), 'start');
  const tStarted = performance.now();
  await g.statuses.wait(id, 'SCAN_QR_CODE', timeoutMs);
  let qrAnswer = await g.instanceCall(token, id, 'GET', '/v2/auth/qr');
  for (let i = 0; qrAnswer.status === 409 && i < 100; i++) {
    await sleep(10); // only if the route raced the in-memory status update; never seen in practice
    qrAnswer = await g.instanceCall(token, id, 'GET', '/v2/auth/qr');
  }
  const qr = ok(qrAnswer, 'qr').body.value as string;
  const tQr = performance.now();

  const from = g.statuses.events(id).length;
  const t1 = performance.now();
  ok(
    await g.call('POST', '/sandbox/scan', {
      admin: true,
      body: { qr, phone, push_name: `Bench ${name}`, platform: 'android' },
    }),
    'scan',
  );
  const tScanned = performance.now();
  const working = await g.statuses.wait(id, 'WORKING', timeoutMs, from);
  const info = ok(await g.instanceCall(token, id, 'GET', '/v2/session/info'), 'info');
  const tConfirmed = performance.now();
  if (info.body.status !== 'WORKING') throw new Error(`${id}: bus said WORKING, info says ${info.body.status}`);
  return {
    id,
    createToQr: tQr - t0,
    createHttp: tCreated - t0,
    startHttp: tStarted - tCreated,
    scanToWorking: working.t - t1,
    scanAnswered: tScanned - t1,
    confirmed: tConfirmed - t1,
    total: working.t - t0,
  };
}

const history = (g: BenchGateway, id: string) => g.statuses.events(id).map((e) => `${e.status}/${e.reason}`);

async function pairPhase(p: WorkerParams, g: BenchGateway): Promise<PairResult> {
  const account = expectStatus(
    await g.call('POST', '/admin/accounts', {
      admin: true,
      body: { name: 'bench', max_instances: p.runs + p.warmup + p.sessions + 10 },
    }),
    201,
    'account',
  );
  const token = account.body.access_token as string;

  // Latency on an idle gateway, one at a time; the warm-up runs (JIT, first connections) are not counted.
  const lat: Paired[] = [];
  const latencyIds: string[] = [];
  for (let i = 0; i < p.warmup + p.runs; i++) {
    const r = await pairOne(g, token, `lat-${i}`, nextPhone(1), 60_000);
    latencyIds.push(r.id);
    if (i >= p.warmup) lat.push(r);
  }
  const latHistory = latencyIds.length ? history(g, latencyIds[latencyIds.length - 1]) : [];
  // Out of the way: the memory wave and the restore count exactly `sessions` instances.
  for (const id of latencyIds) ok(await g.instanceCall(token, id, 'POST', '/v2/session/delete'), 'delete');

  const before = await settledMemory(p.settleMs);
  const simRssBefore = procUsage(p.simPid)?.rss ?? null;
  const stop = measureLoad(p.simPid);
  const wave = await mapLimited(
    Array.from({ length: p.sessions }, (_, i) => i),
    p.concurrency,
    (i) => pairOne(g, token, `mem-${i}`, nextPhone(2), 300_000),
  );
  const load = stop();
  // Confirm over HTTP that every one is (still) WORKING before measuring.
  const statuses = await mapLimited(
    wave,
    10,
    async (r) => (await g.instanceCall(token, r.id, 'GET', '/v2/session/info')).body.status,
  );
  const working = statuses.filter((s) => s === 'WORKING').length;
  const after = await settledMemory(p.settleMs);
  const simRssAfter = procUsage(p.simPid)?.rss ?? null;
  // makeCacheableSignalKeyStore keeps every key written at pairing (812 prekeys…) in a NodeCache for 5 minutes,
  // purged by a 10-minute check period: a reading after that shows the steady state of a long-running gateway.
  const late = p.lateMs > 0 ? await settledMemory(p.lateMs) : null;

  const shutdown = await g.close();
  return {
    latency: {
      createToQr: lat.map((r) => r.createToQr),
      createHttp: lat.map((r) => r.createHttp),
      startHttp: lat.map((r) => r.startHttp),
      scanToWorking: lat.map((r) => r.scanToWorking),
      scanAnswered: lat.map((r) => r.scanAnswered),
      confirmed: lat.map((r) => r.confirmed),
      history: latHistory,
    },
    wave: {
      n: p.sessions,
      perSession: wave.map((r) => r.total),
      load,
      before,
      after,
      gc: before.gc,
      simRssBefore,
      simRssAfter,
      working,
      late,
    },
    shutdown,
    token,
    ids: wave.map((r) => r.id),
  };
}

async function restorePhase(p: WorkerParams, g: BenchGateway, bootMs: number): Promise<RestoreResult> {
  const ids = p.ids ?? [];
  const token = p.token ?? '';
  const before = await settledMemory(Math.min(p.settleMs, 1000));
  const stop = measureLoad(p.simPid);
  const t0 = performance.now();
  const count = await g.sessions.manager.restoreAll();
  const restoreAllMs = performance.now() - t0;
  const reached = await Promise.all(ids.map((id) => g.statuses.wait(id, 'WORKING', 600_000)));
  const load = stop();
  const perSession = ids.map((id, i) => {
    const boot = g.statuses.events(id).find((e) => e.reason === 'boot_restore');
    return reached[i].t - (boot?.t ?? t0);
  });
  const statuses = await mapLimited(
    ids,
    10,
    async (id) => (await g.instanceCall(token, id, 'GET', '/v2/session/info')).body.status,
  );
  const after = await settledMemory(p.settleMs);
  const shutdown = await g.close();
  return {
    bootMs,
    count,
    restoreAllMs,
    firstWorkingMs: Math.min(...reached.map((e) => e.t)) - t0,
    allWorkingMs: Math.max(...reached.map((e) => e.t)) - t0,
    perSession,
    load,
    before,
    after,
    gc: before.gc,
    verified: statuses.filter((s) => s === 'WORKING').length,
    history: ids.length ? history(g, ids[0]) : [],
    shutdown,
  };
}

if (!process.send) throw new Error('sessions-worker.ts must be started with child_process.fork');
// An orphan gateway would hold sessions open forever: leave with the orchestrator.
process.on('disconnect', () => process.exit(1));
const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

process.once('message', async (p: WorkerParams) => {
  try {
    const g = await startBenchGateway({
      dir: p.dir,
      masterKey: Buffer.from(p.masterKey, 'base64'),
      sim: p.sim,
      managerOptions: { restoreConcurrency: p.restoreConcurrency },
    });
    // performance.now() counts from process start: module loading (tsx transpiling) + store open + listen.
    const bootMs = performance.now();
    const result = p.phase === 'pair' ? await pairPhase(p, g) : await restorePhase(p, g, bootMs);
    await send({ type: 'result', result });
    process.exit(0);
  } catch (err) {
    await send({ type: 'error', message: String((err as Error)?.stack ?? err) });
    process.exit(1);
  }
});
