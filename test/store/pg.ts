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
