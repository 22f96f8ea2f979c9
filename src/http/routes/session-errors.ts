import { InvalidStateError, ManagerClosedError, SessionNotFoundError } from '../../sessions/session-errors.ts';
import { errors } from '../api-errors.ts';

/** Session-manager errors → api.md errors; anything else is rethrown as is (500 by the error handler). */
export function mapSessionError(err: unknown): never {
  if (err instanceof InvalidStateError) throw errors.invalidState(err.status);
  if (err instanceof SessionNotFoundError) throw errors.invalidInstance();
  // The process is shutting down: the engine side is unavailable, not our bug.
  if (err instanceof ManagerClosedError) throw errors.upstream();
  throw err;
}
