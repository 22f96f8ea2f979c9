/**
 * The database could not be reached (refused or reset connection, a server restarting, a connect or query timeout):
 * nothing of the operation was committed, and the same call may be retried once it is back. The HTTP layer answers
 * 503 `database_unavailable`. Only raised by the PostgreSQL driver; SQLite is a file in the process.
 */
export class DatabaseUnavailableError extends Error {
  constructor(override readonly cause: unknown) {
    super(`database unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DatabaseUnavailableError';
  }
}

/** SQLSTATE connection_exception (class 08) and the server shutting down or starting (57P01–57P03). */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123])$/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** node-postgres' own wording for a connection that ended or timed out (no code on these). */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/;

/** The error as DatabaseUnavailableError when it says the database was out of reach; otherwise the error itself. */
export function asUnavailable(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof DatabaseUnavailableError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) {
    return new DatabaseUnavailableError(err);
  }
  return UNAVAILABLE_MESSAGE.test(err.message) ? new DatabaseUnavailableError(err) : err;
}
