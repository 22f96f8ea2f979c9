import type { StoreLogger } from '../store-logger.ts';
import type { SqlDriver } from './sql-driver.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

export type MigrationLogger = StoreLogger;

/**
 * Applies every migration not yet recorded in `schema_migrations`, all in one transaction under the driver's migration
 * lock: several processes booting at once serialize here, and the later ones find nothing left to do. Both dialects have
 * transactional DDL, so a failed migration leaves the schema exactly as it was.
 */
export async function runMigrations(
  driver: SqlDriver,
  logger?: StoreLogger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  await driver.transaction(async (conn) => {
    await driver.lockForMigration(conn);
    await conn.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version    INTEGER PRIMARY KEY,
         name       TEXT NOT NULL,
         applied_at TEXT NOT NULL
       )`,
    );
    const rows = await conn.all<{ version: unknown }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const known = new Set(migrations.map((m) => m.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length > 0) {
      // A newer build migrated this database. Keep going (migrations are written to stay backward compatible for a
      // rolling upgrade), but say so: this node may not understand everything it finds.
      logger?.warn({ versions: unknown }, 'database has schema migrations this build does not know');
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await conn.exec(m[driver.kind]);
      await conn.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
      logger?.info({ version: m.version, name: m.name, store: driver.kind }, 'applied schema migration');
    }
  });
}
