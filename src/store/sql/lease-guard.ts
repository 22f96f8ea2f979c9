import { LeaseLostError, type LeaseToken } from '../cluster-types.ts';
import type { SqlConn } from './sql-driver.ts';

/**
 * Inside a transaction that writes for an instance: proceeds only while `token` is the instance's current, live lease,
 * and keeps it so until the transaction ends (FOR SHARE blocks a takeover's UPDATE of the row until then), so a node
 * that lost the lease cannot write over the new owner's state. Throws LeaseLostError otherwise.
 * PostgreSQL only (FOR SHARE, clock_timestamp): SQLite has no leases, its one process owns every instance.
 */
export async function assertLease(conn: SqlConn, token: LeaseToken): Promise<void> {
  const rows = await conn.all(
    `SELECT 1 AS ok FROM instance_leases
      WHERE instance_id = ? AND node_id = ? AND fence = ? AND expires_at > clock_timestamp() FOR SHARE`,
    [token.instanceId, token.nodeId, token.fence],
  );
  if (rows.length === 0) throw new LeaseLostError(token);
}
