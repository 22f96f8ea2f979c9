/**
 * A Simulator handle for a simulator running in another process (sim-child.ts), over its HTTP control surface
 * (sim/control.ts). Handed to createSessionServices as `simulator`, it lets the gateway serve its real
 * /sandbox/* routes while the simulator's memory and CPU stay out of the gateway's process. Costs one extra
 * loopback HTTP hop per /sandbox call (~1 ms), which is inside the scan → WORKING figure.
 */
import { FaultSet, SimError, type Simulator } from '../../sim/index.ts';

export interface RemoteSimInfo {
  url: string;
  rootKey: string; // hex
  control: string; // http://127.0.0.1:<port>
}

export function remoteSimulator(info: RemoteSimInfo): Simulator {
  const post = async (path: string, body: unknown): Promise<any> => {
    const res = await fetch(`${info.control}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as any;
    // Re-throw as SimError so the gateway's sandbox routes map it exactly as for the embedded simulator.
    if (!res.ok)
      throw new SimError(json?.code ?? 'internal_error', json?.message ?? `simulator answered ${res.status}`);
    return json;
  };
  const pair = (i: { phone: string; pushName?: string | null; platform?: string; businessName?: string | null }) => ({
    phone: i.phone,
    push_name: i.pushName,
    platform: i.platform,
    business_name: i.businessName,
  });
  const rootPublicKey = Buffer.alloc(32);
  Buffer.from(info.rootKey, 'hex').copy(rootPublicKey);
  const handle = {
    url: info.url,
    rootPublicKey,
    scan: (i) => post('/scan', { ...pair(i), qr: i.qr }),
    enterCode: (i) => post('/enter-code', { ...pair(i), code: i.code }),
    unlink: async (phone) => (await post(`/phones/${encodeURIComponent(phone)}/unlink`, {})).removed,
    disconnect: async (phone, mode) =>
      (await post(`/phones/${encodeURIComponent(phone)}/disconnect`, { mode })).disconnected,
    // Local copy only: the benches inject no faults.
    faults: new FaultSet(),
    stop: async () => undefined, // the bench that forked the simulator stops it
  } satisfies Partial<Simulator>;
  // The Simulator interface grows with the simulator (messaging, app state…); the benches drive only pairing, so
  // anything else fails loudly at use instead of this file having to track every addition.
  return new Proxy(handle, {
    get(target, prop, receiver) {
      if (prop in target || typeof prop === 'symbol' || prop === 'then') return Reflect.get(target, prop, receiver);
      return () => {
        throw new Error(`Simulator.${prop} is not available on a remote simulator (bench/lib/remote-sim.ts)`);
      };
    },
  }) as unknown as Simulator;
}
