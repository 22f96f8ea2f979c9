import { type ChildProcess, spawn } from 'node:child_process';
import type { Simulator } from '../../sim/index.ts';
import { eventually } from '../cluster/helpers.ts';
import { PG_URL, pgQuery } from '../store/pg.ts';
import { freePort } from './gateway.ts';

/**
 * Real gateway processes (`node bin/switchboard.mjs serve`, default lease timings) on one PostgreSQL schema against a
 * standalone simulator in the test process: the harness of the multi-node e2e tests (docs/multi-node.md) and of
 * bench/cluster.ts. Each process is one node; the database is read directly to check leases and status history.
 */

export const CLUSTER_ADMIN = 'cluster-admin-token-0123456789abcdef';

export interface NodeProcess {
  id: string;
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
  /** Its log (LOG_LEVEL=warn) so far, stdout and stderr. */
  log(): string;
}

export interface ClusterCall {
  status: number;
  body: any;
}

export interface NodeOptions {
  /** The database URL the node uses (default: PG_URL; e.g. a relay's). */
  databaseUrl?: string;
  /** More environment (e.g. SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE). */
  env?: Record<string, string>;
}

export class ClusterHarness {
  readonly nodes = new Map<string, NodeProcess>();

  constructor(
    readonly schema: string,
    readonly sim: Simulator,
  ) {}

  /** Spawns one node and waits for its /health. */
  async start(id: string, opts: NodeOptions = {}): Promise<NodeProcess> {
    const port = await freePort();
    const db = new URL(opts.databaseUrl ?? PG_URL);
    db.searchParams.set('options', `-c search_path=${this.schema}`);
    const child = spawn(process.execPath, ['bin/switchboard.mjs', 'serve'], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.toString(),
        SWITCHBOARD_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        SWITCHBOARD_ADMIN_TOKEN: CLUSTER_ADMIN,
        SWITCHBOARD_WA_URL: this.sim.url,
        SWITCHBOARD_WA_ROOT_KEY: this.sim.rootPublicKey.toString('hex'),
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
      if (child.exitCode !== null) throw new Error(`node ${id} exited: ${out}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`node ${id} did not start: ${out}`);
      }
      if (
        await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const node = { id, url, child, exited, log: () => out };
    this.nodes.set(id, node);
    return node;
  }

  /** kill -9 (or another signal) and wait for the exit; the node is forgotten. */
  async kill(node: NodeProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    node.child.kill(signal);
    await node.exited;
    this.nodes.delete(node.id);
  }

  /** Kills every node left (SIGCONT first, in case one is paused). */
  async stopAll(): Promise<void> {
    for (const node of this.nodes.values()) {
      node.child.kill('SIGCONT');
      node.child.kill('SIGKILL');
      await node.exited;
    }
    this.nodes.clear();
  }

  /** Status history of an instance, oldest first, as "STATUS/reason". */
  async history(id: string): Promise<string[]> {
    const rows = await pgQuery<{ status: string; reason: string }>(
      `SELECT status, reason FROM "${this.schema}".status_history WHERE instance_id = $1 ORDER BY id`,
      [id],
    );
    return rows.map((r) => `${r.status}/${r.reason}`);
  }

  /**
   * Waits until the instance's history after its first `from` entries ends in WORKING/connected; returns that tail.
   * On timeout the error carries the tail, the owners and the nodes' last log lines.
   */
  async workingAgain(id: string, from: number, ms = 60_000): Promise<string[]> {
    let tail: string[] = [];
    try {
      return await eventually(
        async () => {
          tail = (await this.history(id)).slice(from);
          return tail.at(-1) === 'WORKING/connected' ? tail : undefined;
        },
        `${id} WORKING again`,
        ms,
      );
    } catch (err) {
      const logs = [...this.nodes.values()].map((n) => `--- ${n.id}\n${n.log().slice(-1500)}`).join('\n');
      throw new Error(
        `${(err as Error).message}; tail ${tail.join(', ')}; owners ${JSON.stringify(await this.owners())}\n${logs}`,
      );
    }
  }

  /** Live leases: instance id → node id. */
  async owners(): Promise<Record<string, string>> {
    const rows = await pgQuery<{ instance_id: string; node_id: string }>(
      `SELECT instance_id, node_id FROM "${this.schema}".instance_leases WHERE node_id IS NOT NULL AND expires_at > clock_timestamp()`,
    );
    return Object.fromEntries(rows.map((r) => [r.instance_id, r.node_id]));
  }

  /** Stored status of each instance. */
  async statuses(ids: string[]): Promise<Record<string, string>> {
    const rows = await pgQuery<{ id: string; status: string }>(
      `SELECT id, status FROM "${this.schema}".instances WHERE id = ANY($1)`,
      [ids],
    );
    return Object.fromEntries(rows.map((r) => [r.id, r.status]));
  }

  /** Waits until every one of `ids` is stored WORKING. */
  async allWorking(ids: string[], ms = 60_000): Promise<true> {
    let last: Record<string, string> = {};
    return eventually(
      async () => {
        last = await this.statuses(ids);
        return ids.every((id) => last[id] === 'WORKING') ? true : undefined;
      },
      'all WORKING',
      ms,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
  }

  /** Creates an account (admin): its id and access token. */
  async account(node: NodeProcess, maxInstances: number): Promise<{ id: string; token: string }> {
    const r = await clusterCall(node, 'POST', '/admin/accounts', {
      body: { name: 'cluster', max_instances: maxInstances },
    });
    if (r.status !== 201) throw new Error(`account: ${r.status} ${JSON.stringify(r.body)}`);
    return { id: r.body.id as string, token: r.body.access_token as string };
  }

  /** Creates and starts an instance on `node`, scans its QR as `phone`; resolves when the scan is accepted. */
  async link(node: NodeProcess, token: string, name: string, phone: string): Promise<string> {
    const created = await clusterCall(node, 'POST', '/v2/session/create', { token, body: { name } });
    if (created.status !== 201 && created.status !== 200) throw new Error(`create: ${JSON.stringify(created.body)}`);
    const id = created.body.instance_id as string;
    // On a loaded machine a start can fail half-way (503 database_unavailable: the lease pool's 2 s query timeout
    // passed; 500: the node gave its leases up meanwhile), leaving the instance STARTING with no live lease; another node's claim scan may then take it, and this
    // node answers 502 (calls are not forwarded to the owner yet). Either way, whoever holds the lease runs it: ask
    // that node for the QR.
    let owner: NodeProcess = node;
    await eventually(
      async () => {
        const r = await clusterCall(owner, 'POST', `/v2/session/start?instance_id=${id}`, { token });
        if (r.status === 200) return true;
        // 500: the lease was lost mid-command (LeaseLostError: renewals timed out on a starved machine).
        if (r.status < 500) {
          throw new Error(`start: ${JSON.stringify(r.body)}\n${owner.id} log: ${owner.log().slice(-4000)}`);
        }
        const held = this.nodes.get((await this.owners())[id] ?? '');
        if (held && held !== owner) owner = held;
        return undefined;
      },
      `start of ${name}`,
      30_000,
    );
    const qr = await eventually(
      async () => {
        const r = await clusterCall(owner, 'GET', `/v2/auth/qr?instance_id=${id}`, { token });
        if (r.status === 200) return r.body.value as string;
        owner = this.nodes.get((await this.owners())[id] ?? '') ?? owner; // it may have moved meanwhile
        return undefined;
      },
      'QR',
      60_000,
    );
    await this.sim.scan({ qr, phone, pushName: `Cluster ${name}`, platform: 'android' });
    return id;
  }
}

/** Calls a node's API (admin token unless `token`). */
export async function clusterCall(
  node: NodeProcess,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string } = {},
): Promise<ClusterCall> {
  const res = await fetch(`${node.url}${path}`, {
    signal: AbortSignal.timeout(30_000),
    method,
    headers: {
      authorization: `Bearer ${opts.token ?? CLUSTER_ADMIN}`,
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}
