import type { AuthWrite } from '../store.ts';
import { chunks } from '../../lib/index.ts';
import type { SqlConn } from './sql-driver.ts';

/** The auth_state statements of SqlStore (values arrive encrypted by AuthVault; this layer never sees plaintext). */

/** Bound on `?` placeholders per statement (SQLite allows 32766, PostgreSQL 65535; stay far below both). */
const CHUNK = 200;

export async function readAuthRows(
  db: SqlConn,
  instanceId: string,
  type: string,
  ids: string[],
): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  for (const part of chunks([...new Set(ids)], CHUNK)) {
    const rows = await db.all<{ key_id: string; value: Buffer }>(
      `SELECT key_id, value FROM auth_state WHERE instance_id = ? AND type = ? AND key_id IN (${part.map(() => '?').join(', ')})`,
      [instanceId, type, ...part],
    );
    for (const r of rows) found.set(r.key_id, Buffer.from(r.value));
  }
  return found;
}

/** One batch; the caller runs it inside a transaction so all of it lands or none does. */
export async function writeAuthRows(db: SqlConn, instanceId: string, writes: AuthWrite[]): Promise<void> {
  // Last write per key wins, as if applied in order; one row per key also keeps a multi-row upsert legal on PostgreSQL
  // ("ON CONFLICT DO UPDATE cannot affect row a second time").
  const last = new Map<string, AuthWrite>();
  for (const w of writes) {
    const key = `${w.type}\u0000${w.id}`;
    last.delete(key);
    last.set(key, w);
  }
  const final = [...last.values()];
  const upserts = final.filter((w) => w.value !== null);
  const deletes = final.filter((w) => w.value === null);
  for (const part of chunks(deletes, CHUNK)) {
    const where = part.map(() => '(type = ? AND key_id = ?)').join(' OR ');
    await db.run(`DELETE FROM auth_state WHERE instance_id = ? AND (${where})`, [
      instanceId,
      ...part.flatMap((w) => [w.type, w.id]),
    ]);
  }
  for (const part of chunks(upserts, CHUNK)) {
    await db.run(
      `INSERT INTO auth_state (instance_id, type, key_id, value) VALUES ${part.map(() => '(?, ?, ?, ?)').join(', ')}
       ON CONFLICT (instance_id, type, key_id) DO UPDATE SET value = excluded.value`,
      part.flatMap((w) => [instanceId, w.type, w.id, w.value]),
    );
  }
}
