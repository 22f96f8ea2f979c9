import type { Simulator } from '../../sim/index.ts';
import { eventually } from '../cluster/helpers.ts';
import { pgQuery } from '../store/pg.ts';
import { type NodeOptions, type NodeProcess, callNode, startNode } from './cluster-nodes.ts';

export { CLUSTER_ADMIN, type NodeProcess } from './cluster-nodes.ts';

/**
 * A set of gateway processes (cluster-nodes.ts, default lease timings) on one PostgreSQL schema against a standalone
 * simulator in the test process, with the database read directly to check leases and status history: the harness of
 * the outage and webhook e2e tests and of bench/cluster.ts (docs/multi-node.md).
 */

export interface ClusterCall {
  status: number;
  body: any;
}

export class ClusterHarness {
  readonly nodes = new Map<string, NodeProcess>();

  constructor(
    readonly schema: string,
    readonly sim: Simulator,
  ) {}

  /** Spawns one node and waits for its /health. */
  async start(id: string, opts: NodeOptions = {}): Promise<NodeProcess> {
    const node = await startNode(id, this.schema, this.sim, opts);
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
    // passed; 500: the node gave its leases up meanwhile), leaving the instance STARTING with no live lease; another
    // node's claim scan may then take it (a forwarded call can answer 503 owner_unavailable while it moves). Either
    // way, whoever holds the lease runs it: ask that node for the QR.
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

/** Calls a node's API (admin token unless `token`), giving up after 30 s. */
export async function clusterCall(
  node: NodeProcess,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string } = {},
): Promise<ClusterCall> {
  const signal = AbortSignal.timeout(30_000);
  const { status, body } = await Promise.race([
    callNode(node, method, path, opts),
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  ]);
  return { status, body };
}
