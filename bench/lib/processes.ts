/**
 * Processes for the HTTP bench: the gateway exactly as `npm start` runs it (`node bin/switchboard.mjs serve`, its
 * own process, configured only through the environment), a bare Fastify server in a process of its own, and
 * autocannon in a third. Nothing of the gateway is imported here: what is measured is what a user runs.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './stats.ts';

const repoDir = fileURLToPath(new URL('../..', import.meta.url));
const loadChild = fileURLToPath(new URL('./load-child.ts', import.meta.url));

/** A free loopback port (the gateway takes PORT from the environment and refuses 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Served {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

async function untilAnswers(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`${url}: no answer within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM'); // the gateway's own shutdown path: close HTTP, end sessions, flush the log
    });
}

/**
 * The node flags and script of `npm start`, read from package.json's `start` script, so a bench's gateway runs with
 * exactly the flags a user's does (`node <flags> bin/switchboard.mjs serve`).
 */
export function npmStartCommand(): { nodeArgs: string[]; script: string; args: string[] } {
  const pkg = JSON.parse(readFileSync(join(repoDir, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.trim().split(/\s+/);
  const at = words.findIndex((w) => w.endsWith('.mjs') || w.endsWith('.js'));
  if (words[0] !== 'node' || at < 0) throw new Error(`package.json start script not understood: ${pkg.scripts.start}`);
  return { nodeArgs: words.slice(1, at), script: words[at], args: words.slice(at + 1) };
}

/**
 * `npm start` in a process of its own: stdout and stderr go to `logFile` (as `npm start > file` would; a file, not
 * a pipe, so reading the log costs this process nothing while the gateway is measured). `nodeArgs` come after the
 * start script's own node flags.
 */
export async function startGatewayProcess(opts: {
  env: Record<string, string>;
  logFile: string;
  nodeArgs?: string[];
}): Promise<Served> {
  const port = await freePort();
  const fd = openSync(opts.logFile, 'a');
  const start = npmStartCommand();
  const argv = [...start.nodeArgs, ...(opts.nodeArgs ?? []), join(repoDir, start.script), ...start.args];
  const child = spawn(process.execPath, argv, {
    cwd: repoDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // A/B of the engine's threads (0: in-process) across a whole bench: `SWITCHBOARD_ENGINE_THREADS=0 npm run bench …`.
      ...(process.env.SWITCHBOARD_ENGINE_THREADS === undefined
        ? {}
        : { SWITCHBOARD_ENGINE_THREADS: process.env.SWITCHBOARD_ENGINE_THREADS }),
      ...opts.env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', fd, fd],
  });
  killWithBench(child);
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  await untilAnswers(`${url}/health`, child, 60_000);
  return { child, url, stop: stopper(child) };
}

/** bench/lib/bare-server.ts in its own process, answering GET /me with `body` (an object, serialised per request). */
export async function startBareProcess(body: unknown): Promise<Served> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./bare-server.ts', import.meta.url))],
    {
      cwd: repoDir,
      env: { ...process.env, BARE_PORT: String(port), BARE_BODY: JSON.stringify(body) },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  killWithBench(child);
  const url = `http://127.0.0.1:${port}`;
  await untilAnswers(`${url}/me`, child, 30_000);
  return { child, url, stop: stopper(child) };
}

export interface LoadRun {
  rps: number;
  /** Latency percentiles in ms, fractional (bench/lib/load-child.ts). */
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** One autocannon run in a child process (never on a measured event loop): bench/lib/load-child.ts. */
export function autocannon(url: string, connections: number, seconds: number): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const child = fork(loadChild, [url, String(connections), String(seconds)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.resume();
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      resolve(JSON.parse(out) as LoadRun);
    });
  });
}

const tracked = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let reaperInstalled = false;

function installReaper(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const c of tracked) if (c.pid && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`bench: ${signal}, stopping ${tracked.size} child process(es)\n`);
      process.exit(130); // the exit hook above kills them and removes the temp dirs
    });
  }
}

/**
 * Makes sure `child` dies with this bench process, whatever ends it: a normal exit, an uncaught failure, or run.ts's
 * SIGTERM on timeout (SIGKILL by PID, on exit, to every tracked child still running). Without it a bench that
 * fails half-way leaves a gateway with hundreds of sessions running on the machine.
 */
export function killWithBench<C extends ChildProcess>(child: C): C {
  installReaper();
  tracked.add(child);
  child.once('exit', () => tracked.delete(child));
  return child;
}

/** A temp dir removed when this bench process exits, however it exits. */
export function benchTempDir(prefix: string): string {
  installReaper();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** The standalone simulator (bench/lib/sim-child.ts) in a process of its own; resolves once it listens. */
export async function startSimProcess(dataDir?: string): Promise<{
  child: ChildProcess;
  url: string;
  rootKey: string;
  control: string;
  stop(): Promise<void>;
}> {
  const child = killWithBench(
    fork(fileURLToPath(new URL('./sim-child.ts', import.meta.url)), dataDir ? [dataDir] : [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const ready = await new Promise<{ url: string; rootKey: string; control: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator: not ready within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code} before it was ready`)));
    child.on('message', (m: { type?: string; url: string; rootKey: string; control: string }) => {
      if (m?.type !== 'ready') return;
      clearTimeout(timer);
      resolve(m);
    });
  });
  return { child, ...ready, stop: stopper(child) };
}
