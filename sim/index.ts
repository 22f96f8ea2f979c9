/**
 * Switchboard's WhatsApp network simulator: a local stand-in for WhatsApp's servers and the user's phone, speaking
 * the real multi-device protocol to unmodified Baileys. See sim/README.md and docs/whatsapp-protocol.md.
 */
import { createSimulator } from './server.ts';
import type { Simulator, SimulatorOptions } from './types.ts';
export type { ConnectionFault, PairInput, SendTextInput, SimFaults, Simulator, SimulatorOptions } from './types.ts';
export { FaultSet } from './fault-set.ts';
export { SimError } from './errors.ts';

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  return createSimulator(opts);
}
