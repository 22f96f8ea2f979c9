/**
 * GET /v2/session/me of a WORKING sandbox session against a bare Fastify route that returns the same JSON, both
 * served by THIS process, loaded one after the other (interleaved rounds) by autocannon in a child process, so the
 * load generator never shares the measured event loop. The /me side pays for everything a real call pays for
 * (request id, auth: token hash + token and instance lookups, negotiation, ETag, hooks); the bare side for none
 * of it. The simulator runs in its own process (bench/lib/sim-child.ts) and is idle during the rounds.
 *
 *   node --import tsx bench/me.ts [--connections 50] [--duration 10] [--rounds 2]
 *   npm run bench -- me
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { expectStatus, startBenchGateway, type BenchGateway } from './lib/gateway.ts';
import type { RemoteSimInfo } from './lib/remote-sim.ts';
import { intFlag, median, sleep } from './lib/stats.ts';

const argv = process.argv.slice(2);
const connections = intFlag(argv, 'connections', 50);
const duration = intFlag(argv, 'duration', 10);
const rounds = intFlag(argv, 'rounds', 2);

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const autocannonCli = join(createRequire(import.meta.url).resolve('autocannon/package.json'), '..', 'autocannon.js');

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** One autocannon run in a child process; its --json summary. */
function autocannon(url: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = fork(autocannonCli, ['-c', String(connections), '-d', String(duration), '-j', url], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.resume();
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out);
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors });
    });
  });
}

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' from pid ${child.pid}`)), timeoutMs);
    child.on('message', (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      resolve(m as T);
    });
  });
}

/** A sandbox account with one WORKING instance whose name has synced; returns the /me URL. */
async function workingMe(g: BenchGateway): Promise<{ url: string; body: unknown }> {
  const acc = expectStatus(await g.call('POST', '/admin/accounts', { admin: true, body: { name: 'bench-me' } }), 201, 'account');
  const token = acc.body.access_token as string;
  const created = expectStatus(await g.call('POST', '/v2/session/create', { query: { access_token: token }, body: {} }), 201, 'create');
  const id = created.body.instance_id as string;
  expectStatus(await g.instanceCall(token, id, 'POST', '/v2/session/start'), 200, 'start');
  let qr: string | null = null;
  for (let i = 0; i < 400 && !qr; i++) {
    const a = await g.instanceCall(token, id, 'GET', '/v2/auth/qr');
    if (a.status === 200) qr = a.body.value;
    else await sleep(50);
  }
  if (!qr) throw new Error('no QR');
  const scan = { qr, phone: '201012345678', push_name: 'John Doe', platform: 'android' };
  expectStatus(await g.call('POST', '/sandbox/scan', { admin: true, body: scan }), 200, 'scan');
  const path = `/v2/session/me?${new URLSearchParams({ access_token: token, instance_id: id })}`;
  for (let i = 0; i < 600; i++) {
    const a = await g.call('GET', path);
    if (a.status === 200 && a.body.pushName === 'John Doe') return { url: `${g.url}${path}`, body: a.body };
    await sleep(50);
  }
  throw new Error('/me never answered with the synced name');
}

const dir = mkdtempSync(join(tmpdir(), 'sb-bench-me-'));
const sim = fork(here('./lib/sim-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let gateway: BenchGateway | null = null;
const bare = Fastify({ logger: false });
try {
  const info = await nextMessage<RemoteSimInfo & { type: string }>(sim, 'ready', 60_000);
  gateway = await startBenchGateway({ dir, masterKey: randomBytes(32), sim: { url: info.url, rootKey: info.rootKey, control: info.control } });
  const me = await workingMe(gateway);
  bare.get('/me', async () => me.body);
  const bareUrl = `${await bare.listen({ port: 0, host: '127.0.0.1' })}/me`;

  // Warm both up (JIT, connection pools), then interleave: bare, me, bare, me…
  const short = (url: string) =>
    new Promise<void>((resolve, reject) => {
      const c = fork(autocannonCli, ['-c', String(connections), '-d', '2', url], { stdio: 'ignore' });
      c.once('exit', () => resolve());
      c.once('error', reject);
    });
  await short(bareUrl);
  await short(me.url);
  // Third leg, to split the gap: the gateway's /health runs the same framework hooks as /me but no auth.
  const healthUrl = `${gateway.url}/health`;
  const bareRuns: Run[] = [];
  const meRuns: Run[] = [];
  const healthRuns: Run[] = [];
  for (let r = 0; r < rounds; r++) {
    process.stderr.write(`me: round ${r + 1}/${rounds}…\n`);
    bareRuns.push(await autocannon(bareUrl));
    meRuns.push(await autocannon(me.url));
    healthRuns.push(await autocannon(healthUrl));
  }
  for (const run of meRuns) if (run.non2xx || run.errors) throw new Error(`/me: ${run.non2xx} non-2xx, ${run.errors} errors`);

  const m = (runs: Run[], k: keyof Run) => median(runs.map((x) => x[k]));
  const ratio = m(meRuns, 'rps') / m(bareRuns, 'rps');
  console.log(`Command: \`node --import tsx bench/me.ts --connections ${connections} --duration ${duration} --rounds ${rounds}\``);
  console.log('');
  console.log('| route | req/s (median of rounds) | latency p50 | latency p99 | /me ÷ bare |');
  console.log('|---|---|---|---|---|');
  console.log(`| bare Fastify, same JSON | ${m(bareRuns, 'rps').toFixed(0)} | ${m(bareRuns, 'p50')} ms | ${m(bareRuns, 'p99')} ms | |`);
  console.log(`| \`GET /v2/session/me\` (auth + cache + ETag) | ${m(meRuns, 'rps').toFixed(0)} | ${m(meRuns, 'p50')} ms | ${m(meRuns, 'p99')} ms | **${ratio.toFixed(2)}×** |`);
  console.log(`| ↳ reference: gateway \`GET /health\` (same hooks, no auth) | ${m(healthRuns, 'rps').toFixed(0)} | ${m(healthRuns, 'p50')} ms | ${m(healthRuns, 'p99')} ms | ${(m(healthRuns, 'rps') / m(bareRuns, 'rps')).toFixed(2)}× |`);
  console.log('');
  console.log(`c=${connections}, ${duration} s per run, ${rounds} interleaved rounds each; autocannon in a child process.`);
} catch (err) {
  process.stderr.write(`me bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await bare.close();
  await gateway?.close();
  sim.send({ type: 'stop' });
  await new Promise((r) => (sim.exitCode !== null ? r(null) : sim.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}
