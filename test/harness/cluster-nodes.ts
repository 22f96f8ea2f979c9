import { type ChildProcess, spawn } from 'node:child_process';
import type { Simulator } from '../../sim/index.ts';
import { PG_URL } from '../store/pg.ts';
import { freePort } from './gateway.ts';

/**
 * Real gateway processes (`node bin/switchboard.mjs serve`) as nodes of one PostgreSQL cluster, against a standalone
 * simulator (docs/multi-node.md): what the multi-node end-to-end tests start, call and kill.
 */

export const CLUSTER_ADMIN = 'cluster-admin-token-0123456789abcdef';
export const CLUSTER_MASTER_KEY = Buffer.alloc(32, 7);

export interface NodeProcess {
  id: string;
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Its log (LOG_LEVEL=warn) so far. */
  log(): string;
}

export interface NodeOptions {
  /** The database URL the node uses (default PG_URL; e.g. a relay's). */
  databaseUrl?: string;
  /** More environment (e.g. SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE). */
  env?: Record<string, string>;
}

export async function startNode(
  id: string,
  schema: string,
  sim: Simulator,
  opts: NodeOptions = {},
): Promise<NodeProcess> {
  const port = await freePort();
  const db = new URL(opts.databaseUrl ?? PG_URL);
  db.searchParams.set('options', `-c search_path=${schema}`);
  const child = spawn(process.execPath, ['bin/switchboard.mjs', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.toString(),
      SWITCHBOARD_MASTER_KEY: CLUSTER_MASTER_KEY.toString('base64'),
      SWITCHBOARD_ADMIN_TOKEN: CLUSTER_ADMIN,
      SWITCHBOARD_WA_URL: sim.url,
      SWITCHBOARD_WA_ROOT_KEY: sim.rootPublicKey.toString('hex'),
      SWITCHBOARD_NODE_ID: id,
      SWITCHBOARD_NODE_ADDRESS: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (d) => (out += d));
  child.stdout?.on('data', (d) => (out += d)); // the pino log
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000; // a loaded 2-core machine starting several nodes at once is slow
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway ${id} exited: ${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway ${id} did not start: ${out}`);
    }
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { id, url, child, exited, log: () => out };
}

/** Ends a node however it is (paused included) and waits for its exit. */
export async function killNode(node: NodeProcess): Promise<void> {
  node.child.kill('SIGCONT');
  node.child.kill('SIGKILL');
  await node.exited;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** One call; the token goes in `Authorization: Bearer` (the admin token unless given). */
export async function callNode(
  node: Pick<NodeProcess, 'url'>,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${opts.token ?? CLUSTER_ADMIN}`,
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (XML, PNG, empty)
  }
  return { status: res.status, headers: res.headers, text, body };
}
