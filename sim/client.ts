/**
 * An in-process Simulator behind the asynchronous SimulatorClient surface, so that code written for a simulator in a
 * worker thread (thread.ts) also drives one that runs here (tests that own theirs, the benches' remote handle).
 */
import type { Simulator, SimulatorClient } from './types.ts';

export function asyncSimulator(sim: Simulator): SimulatorClient {
  return {
    url: sim.url,
    rootPublicKey: sim.rootPublicKey,
    faults: {
      inject: async (input) => sim.faults.inject(input),
      clear: async () => sim.faults.clear(),
      pending: async () => sim.faults.pending,
      set: async (flags) => void Object.assign(sim.faults, flags),
    },
    scan: async (input) => sim.scan(input),
    enterCode: async (input) => sim.enterCode(input),
    unlink: async (phone) => sim.unlink(phone),
    disconnect: async (phone, mode) => sim.disconnect(phone, mode),
    listPhones: async () => sim.listPhones(),
    setPushName: async (phone, name) => sim.setPushName(phone, name),
    sendText: async (input) => sim.sendText(input),
    receivedMessages: async (phone) => sim.receivedMessages(phone),
    reset: async () => sim.reset(),
    devices: async (phone) => sim.devices(phone),
    activity: async (phone) => sim.activity(phone),
    stop: async () => sim.stop(),
  };
}
