/**
 * Errors the simulator's control API throws. `code` is stable and machine-readable so the gateway's
 * sandbox routes (and the standalone HTTP surface in control.ts) can map it to an HTTP status.
 */
export class SimError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }
}
