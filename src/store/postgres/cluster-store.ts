import type {
  AcquiredLease,
  ClusterStore,
  LeaseHolder,
  LeaseRecord,
  LeaseToken,
  NodeInfo,
  NodeRecord,
  PlacementView,
} from '../cluster-types.ts';
import type { SqlConn } from '../sql/sql-driver.ts';
export { assertLease } from '../sql/lease-guard.ts';
import { iso } from '../sql/rows.ts';
import type { PostgresDriver } from './postgres-driver.ts';

/**
 * Node rows and instance leases on PostgreSQL (docs/multi-node.md). Every expiry is compared against and computed from
 * the database's `clock_timestamp()` (not `now()`, which is frozen at transaction start), so all nodes share one clock.
 *
 * Acquisitions (acquire, claim) run under one transaction-scoped advisory lock per schema: they are rare (boot, failover,
 * start), and serializing them makes "which instances are free" and "who held it before" exact without row-locking
 * instances that have no lease row yet. Renewals and releases never take it: they only touch the node's own rows, and
 * a renewal cannot revive an expired lease (`expires_at > clock_timestamp()`), so it cannot race a takeover.
 */

const TTL = `clock_timestamp() + CAST(? AS integer) * interval '1 millisecond'`;
const LIVE_LEASE = 'l.node_id IS NOT NULL AND l.expires_at > clock_timestamp()';

type Row = Record<string, unknown>;
const toToken = (r: Row, nodeId: string): LeaseToken => ({
  instanceId: String(r.instance_id),
  nodeId,
  fence: Number(r.fence),
});

export class PgClusterStore implements ClusterStore {
  readonly #driver: PostgresDriver;
  readonly #lockKey: string;

  constructor(driver: PostgresDriver) {
    this.#driver = driver;
    this.#lockKey = `switchboard:placement:${driver.schema ?? ''}`;
  }

  async register(node: NodeInfo, ttlMs: number): Promise<void> {
    await this.#driver.transaction(async (db) => {
      await db.run(
        `INSERT INTO cluster_nodes (id, address, started_at, heartbeat_at, expires_at)
         VALUES (?, ?, clock_timestamp(), clock_timestamp(), ${TTL})
         ON CONFLICT (id) DO UPDATE SET address = excluded.address, started_at = excluded.started_at,
           heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at, left_at = NULL`,
        [node.id, node.address, ttlMs],
      );
      await db.run('UPDATE instance_leases SET node_id = NULL, expires_at = clock_timestamp() WHERE node_id = ?', [
        node.id,
      ]);
    });
  }

  async heartbeat(node: NodeInfo, ttlMs: number): Promise<LeaseToken[]> {
    // A data-modifying CTE runs even though nothing reads it: heartbeat and renewal are one round trip. The node row is
    // upserted, so a node whose row was pruned while it was cut off comes back.
    const rows = await this.#driver.conn.all(
      `WITH beat AS (
         INSERT INTO cluster_nodes (id, address, started_at, heartbeat_at, expires_at)
         VALUES (?, ?, clock_timestamp(), clock_timestamp(), ${TTL})
         ON CONFLICT (id) DO UPDATE SET address = excluded.address, heartbeat_at = excluded.heartbeat_at,
           expires_at = excluded.expires_at, left_at = NULL
       )
       UPDATE instance_leases SET expires_at = ${TTL}
        WHERE node_id = ? AND expires_at > clock_timestamp()
       RETURNING instance_id, fence`,
      [node.id, node.address, ttlMs, ttlMs, node.id],
    );
    return rows.map((r) => toToken(r, node.id));
  }

  acquire(nodeId: string, instanceIds: readonly string[], ttlMs: number): Promise<AcquiredLease[]> {
    if (instanceIds.length === 0) return Promise.resolve([]);
    return this.#acquiring(async (db) => {
      const free = await db.all(
        `SELECT i.id, l.node_id
           FROM instances i LEFT JOIN instance_leases l ON l.instance_id = i.id
          WHERE i.id = ANY(CAST(? AS text[])) AND NOT (${LIVE_LEASE})`,
        [instanceIds],
      );
      return this.#take(db, nodeId, free, ttlMs);
    });
  }

  claim(
    nodeId: string,
    statuses: readonly string[],
    ttlMs: number,
    plan: (view: PlacementView) => number,
  ): Promise<AcquiredLease[]> {
    return this.#acquiring(async (db) => {
      const nodes = await db.all(
        `SELECT n.id, (SELECT COUNT(*) FROM instance_leases l WHERE l.node_id = n.id AND ${LIVE_LEASE}) AS instances
           FROM cluster_nodes n
          WHERE n.expires_at > clock_timestamp() AND n.left_at IS NULL
          ORDER BY n.id`,
      );
      // A node that is not live itself (its heartbeat lapsed) takes nothing: the others may already count it as gone.
      if (!nodes.some((n) => n.id === nodeId)) return [];
      const claimable = `FROM instances i LEFT JOIN instance_leases l ON l.instance_id = i.id
          WHERE i.status = ANY(CAST(? AS text[])) AND NOT (${LIVE_LEASE})`;
      const counted = await db.all(`SELECT COUNT(*) AS n ${claimable}`, [statuses]);
      const share = plan({
        nodes: nodes.map((n) => ({ id: String(n.id), instances: Number(n.instances) })),
        claimable: Number(counted[0]!.n),
      });
      if (share <= 0) return [];
      const free = await db.all(`SELECT i.id, l.node_id ${claimable} ORDER BY i.created_at, i.id LIMIT ?`, [
        statuses,
        share,
      ]);
      return this.#take(db, nodeId, free, ttlMs);
    });
  }

  async release(tokens: readonly LeaseToken[]): Promise<number> {
    if (tokens.length === 0) return 0;
    return this.#driver.conn.run(
      `UPDATE instance_leases l SET node_id = NULL, expires_at = clock_timestamp()
         FROM unnest(CAST(? AS text[]), CAST(? AS text[]), CAST(? AS bigint[])) AS r(instance_id, node_id, fence)
        WHERE l.instance_id = r.instance_id AND l.node_id = r.node_id AND l.fence = r.fence`,
      [tokens.map((t) => t.instanceId), tokens.map((t) => t.nodeId), tokens.map((t) => t.fence)],
    );
  }

  leave(nodeId: string): Promise<number> {
    return this.#driver.transaction(async (db) => {
      const released = await db.run(
        'UPDATE instance_leases SET node_id = NULL, expires_at = clock_timestamp() WHERE node_id = ?',
        [nodeId],
      );
      await db.run(
        'UPDATE cluster_nodes SET left_at = clock_timestamp(), expires_at = clock_timestamp() WHERE id = ?',
        [nodeId],
      );
      return released;
    });
  }

  async getLease(instanceId: string): Promise<LeaseRecord | null> {
    const rows = await this.#driver.conn.all(
      `SELECT l.instance_id, l.node_id, l.fence, l.expires_at, (${LIVE_LEASE}) AS live
         FROM instance_leases l WHERE l.instance_id = ?`,
      [instanceId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      instanceId: String(r.instance_id),
      nodeId: r.node_id === null ? null : String(r.node_id),
      fence: Number(r.fence),
      expiresAt: iso(r.expires_at),
      live: r.live === true,
    };
  }

  async leaseHolder(instanceId: string): Promise<LeaseHolder | null> {
    const rows = await this.#driver.conn.all(
      `SELECT l.node_id, n.address, (${LIVE_LEASE}) AS live,
              EXTRACT(EPOCH FROM (clock_timestamp() - n.heartbeat_at)) * 1000 AS heartbeat_age_ms
         FROM instance_leases l LEFT JOIN cluster_nodes n ON n.id = l.node_id
        WHERE l.instance_id = ? AND l.node_id IS NOT NULL`,
      [instanceId],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      nodeId: String(r.node_id),
      address: r.address === null || r.address === undefined ? null : String(r.address),
      live: r.live === true,
      heartbeatAgeMs: r.heartbeat_age_ms === null ? Infinity : Number(r.heartbeat_age_ms),
    };
  }

  async lostHolders(instanceIds: readonly string[], lostAfterMs: number): Promise<string[]> {
    if (instanceIds.length === 0) return [];
    const rows = await this.#driver.conn.all(
      `SELECT l.instance_id FROM instance_leases l LEFT JOIN cluster_nodes n ON n.id = l.node_id
        WHERE l.instance_id = ANY(CAST(? AS text[])) AND l.node_id IS NOT NULL
          AND (l.expires_at <= clock_timestamp() OR n.heartbeat_at IS NULL
               OR n.heartbeat_at < clock_timestamp() - CAST(? AS integer) * interval '1 millisecond')`,
      [instanceIds, lostAfterMs],
    );
    return rows.map((r) => String(r.instance_id));
  }

  async listNodes(): Promise<NodeRecord[]> {
    const rows = await this.#driver.conn.all(
      `SELECT n.id, n.address, n.started_at, n.heartbeat_at, n.expires_at, n.left_at,
              (n.expires_at > clock_timestamp() AND n.left_at IS NULL) AS live,
              (SELECT COUNT(*) FROM instance_leases l WHERE l.node_id = n.id AND ${LIVE_LEASE}) AS instances
         FROM cluster_nodes n ORDER BY n.started_at, n.id`,
    );
    return rows.map((r) => ({
      id: String(r.id),
      address: r.address === null ? null : String(r.address),
      startedAt: iso(r.started_at),
      heartbeatAt: iso(r.heartbeat_at),
      expiresAt: iso(r.expires_at),
      leftAt: r.left_at === null ? null : iso(r.left_at),
      live: r.live === true,
      instances: Number(r.instances),
    }));
  }

  close(): Promise<void> {
    return this.#driver.close();
  }

  #acquiring<T>(fn: (db: SqlConn) => Promise<T>): Promise<T> {
    return this.#driver.transaction(async (db) => {
      await db.all('SELECT pg_advisory_xact_lock(hashtext(?))', [this.#lockKey]);
      return fn(db);
    });
  }

  /** Takes the given free instances (under the acquisition lock); the fence grows by one on every acquisition. */
  async #take(db: SqlConn, nodeId: string, free: Row[], ttlMs: number): Promise<AcquiredLease[]> {
    if (free.length === 0) return [];
    const previous = new Map(free.map((r) => [String(r.id), r.node_id === null ? null : String(r.node_id)]));
    const rows = await db.all(
      `INSERT INTO instance_leases (instance_id, node_id, fence, expires_at, acquired_at)
       SELECT id, ?, 1, ${TTL}, clock_timestamp() FROM unnest(CAST(? AS text[])) AS f(id)
       ON CONFLICT (instance_id) DO UPDATE SET node_id = excluded.node_id, fence = instance_leases.fence + 1,
         expires_at = excluded.expires_at, acquired_at = excluded.acquired_at
       WHERE instance_leases.node_id IS NULL OR instance_leases.expires_at <= clock_timestamp()
       RETURNING instance_id, fence`,
      [nodeId, ttlMs, [...previous.keys()]],
    );
    return rows.map((r) => ({ ...toToken(r, nodeId), takenFrom: previous.get(String(r.instance_id)) ?? null }));
  }
}
