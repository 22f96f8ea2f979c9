/**
 * The simulator's fault switches. Two kinds:
 * - flags (ignorePings, foreignRoot, refuseConnections, forgeAccountSignature): mutable, act until switched off;
 * - connection faults (cert_key_mismatch, cert_expired): queued, each consumed by one new client connection, so a
 *   test (or `POST /sandbox/faults`) can aim a bad handshake at exactly the next N connections.
 */
import { SimError } from './errors.ts';
import type { ConnectionFault, SimFaults } from './types.ts';

export const CONNECTION_FAULTS: readonly ConnectionFault[] = ['cert_key_mismatch', 'cert_expired'];
const MAX_CONNECTIONS = 1000;

export class FaultSet implements SimFaults {
  ignorePings = false;
  foreignRoot = false;
  refuseConnections = false;
  forgeAccountSignature = false;
  // Private (#) so JSON.stringify of the flags stays what it always was.
  readonly #queue: ConnectionFault[] = [];

  inject(input: { fault: ConnectionFault; connections?: number }): { pending: number } {
    const { fault, connections = 1 } = input;
    if (!CONNECTION_FAULTS.includes(fault))
      throw new SimError('invalid_fault', `fault must be one of ${CONNECTION_FAULTS.join(', ')}`);
    if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS) {
      throw new SimError('invalid_connections', `connections must be an integer from 1 to ${MAX_CONNECTIONS}`);
    }
    for (let i = 0; i < connections; i++) this.#queue.push(fault);
    return { pending: this.#queue.length };
  }

  clear(): void {
    this.#queue.length = 0;
  }

  get pending(): ConnectionFault[] {
    return [...this.#queue];
  }

  /** The fault the next connection meets (oldest injected first), if any. */
  take(): ConnectionFault | undefined {
    return this.#queue.shift();
  }
}
