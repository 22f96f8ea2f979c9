/**
 * What the phone or the network can do to a linked device (protocol doc section 8). Each maps to one disconnect
 * code that Baileys reports in lastDisconnect.error.output.statusCode.
 */
import { SimError } from './errors.ts';
import { normalizePhone } from './phone-number.ts';
import type { Device } from './phone-types.ts';
import type { SimState } from './state.ts';

export type DisconnectMode = 'drop' | 'conflict' | 'restart';

/** What real WA sends a removed device that is connected: 401 device_removed (→ 401 loggedOut). */
function tellRemoved(d: Device): void {
  if (d.conn && !d.conn.closed)
    d.conn.streamError({ code: '401' }, { tag: 'conflict', attrs: { type: 'device_removed' } });
}

/** The phone removes all its linked devices. */
export function unlink(state: SimState, phoneInput: string): number {
  const p = state.phones.get(normalizePhone(phoneInput));
  if (!p) return 0;
  let n = 0;
  for (const d of [...p.devices.values()]) {
    state.phones.removeDevice(p, d.id);
    n++;
    tellRemoved(d);
  }
  return n;
}

/** The whole simulated network forgets every phone, device, contact and message; linked companions are removed. */
export function reset(state: SimState): void {
  for (const p of state.phones.all()) for (const d of p.devices.values()) tellRemoved(d);
  state.store.reset();
  state.phones.clear();
  state.directory.clear();
}

/** The phone's linked devices, lowest id first. */
export function devices(
  state: SimState,
  phoneInput: string,
): Array<{ jid: string; platform: string; linked_at: string }> {
  const p = state.phones.get(normalizePhone(phoneInput));
  return [...(p?.devices.values() ?? [])]
    .sort((a, b) => a.id - b.id)
    .map((d) => ({ jid: d.jid, platform: d.platform, linked_at: new Date(d.linkedAt).toISOString() }));
}

/**
 * Disconnects every connected device of the phone: `drop` kills the TCP socket without a close frame (→ 428),
 * `conflict` says another session replaced it (→ 440), `restart` asks for a restart (→ 515). Returns how many were hit.
 */
export function disconnect(state: SimState, phoneInput: string, mode: DisconnectMode): number {
  if (mode !== 'drop' && mode !== 'conflict' && mode !== 'restart')
    throw new SimError('invalid_mode', 'mode must be drop, conflict or restart');
  const p = state.phones.get(normalizePhone(phoneInput));
  if (!p) return 0;
  let n = 0;
  for (const d of p.devices.values()) {
    const c = d.conn;
    if (!c || c.closed) continue;
    n++;
    if (mode === 'drop') c.drop();
    else if (mode === 'conflict') c.streamError({}, { tag: 'conflict', attrs: { type: 'replaced' } });
    else c.streamError({ code: '515' });
  }
  return n;
}
