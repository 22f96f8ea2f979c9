import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDefaultUser } from '../../src/store/postgres/postgres-driver.ts';

/** The PostgreSQL the tests run against (trust auth; running locally and in CI). */
export const PG_URL = process.env.SWITCHBOARD_TEST_PG_URL ?? 'postgres://127.0.0.1:5432/test';

export const randomSchema = (): string => `sb_test_${randomBytes(6).toString('hex')}`;

/** Runs one statement on a short-lived connection (schema cleanup, catalog checks). */
export async function pgQuery<R extends pg.QueryResultRow = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: withDefaultUser(PG_URL) });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * The change listeners of a schema (every store's on it): connections idle after their LISTEN or their ping. Ending
 * them (pg_terminate_backend) is how the tests cut a node's change feed.
 */
export async function listenerPids(schema: string): Promise<number[]> {
  const rows = await pgQuery<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE query IN ('LISTEN "switchboard.${schema}"', 'SELECT 1')
        AND datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND state = 'idle'`,
  );
  return rows.map((r) => r.pid);
}

export async function terminate(pids: number[]): Promise<void> {
  await pgQuery('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
}
