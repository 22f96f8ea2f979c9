/**
 * Switchboard's WhatsApp network simulator: a local stand-in for WhatsApp's servers and the user's phone, speaking
 * the real multi-device protocol to unmodified Baileys. See sim/README.md and docs/whatsapp-protocol.md.
 */
import type { Simulator, SimulatorOptions } from './types.ts';
export type {
  ConnectionFault,
  FaultFlags,
  PairInput,
  SendTextInput,
  SimFaults,
  Simulator,
  SimulatorClient,
  SimulatorOptions,
} from './types.ts';
export { FaultSet } from './fault-set.ts';
export { SimError } from './errors.ts';
export { asyncSimulator } from './client.ts';
export { startSimulatorThread } from './thread.ts';

/** In this thread. The server (and Baileys' modules, which it uses) loads only then: importing sim/ stays light for a
 * caller that runs the simulator in its own thread (startSimulatorThread). */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const { createSimulator } = await import('./server.ts');
  return createSimulator(opts);
}
