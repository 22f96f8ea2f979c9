import type { SessionStatus } from '../domain/index.ts';

/** Errors of the session manager that callers (HTTP routes) map to answers. */

/** No such instance (HTTP: 404 invalid_instance). */
export class SessionNotFoundError extends Error {
  constructor(readonly instanceId: string) {
    super(`no instance ${instanceId}`);
    this.name = 'SessionNotFoundError';
  }
}

/** The command is not allowed in the instance's current status (HTTP: 409 invalid_state, details.status). */
export class InvalidStateError extends Error {
  constructor(
    readonly status: SessionStatus,
    message = `not allowed in status ${status}`,
  ) {
    super(message);
    this.name = 'InvalidStateError';
  }
}

/** The engine failed a request made on the caller's behalf, e.g. a pairing code (HTTP: 502 wawp_upstream_error). */
export class EngineRequestError extends Error {
  constructor(
    what: string,
    override readonly cause: unknown,
  ) {
    super(`${what} failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'EngineRequestError';
  }
}

/** The manager was shut down (process exit in progress). */
export class ManagerClosedError extends Error {
  constructor() {
    super('session manager is shut down');
    this.name = 'ManagerClosedError';
  }
}

/**
 * Clustered (docs/multi-node.md): another node holds the instance's lease, so only it may run commands for it. Calls
 * are forwarded to the holder before they get here; this is what a call that could not be forwarded meets (HTTP: 503
 * owner_unavailable with Retry-After: a forwarded call that arrived after the lease moved, a lost holder's lease).
 */
export class OwnedElsewhereError extends Error {
  constructor(readonly instanceId: string) {
    super(`instance ${instanceId} runs on another node`);
    this.name = 'OwnedElsewhereError';
  }
}
