/**
 * What the phone or the network can do to a linked device (protocol doc section 8). Each maps to one disconnect
 * code that Baileys reports in lastDisconnect.error.output.statusCode.
 */
import { SimError } from './errors.ts';
import { normalizePhone } from './phone-number.ts';
import type { SimState } from './state.ts';

export type DisconnectMode = 'drop' | 'conflict' | 'restart';

/** The phone removes all its linked devices. Connected ones get what real WA sends: 401 device_removed (→ 401 loggedOut). */
export function unlink(state: SimState, phoneInput: string): number {
  const p = state.phones.get(normalizePhone(phoneInput));
  if (!p) return 0;
  let n = 0;
  for (const d of [...p.devices.values()]) {
    state.phones.removeDevice(p, d.id);
    n++;
    if (d.conn && !d.conn.closed) d.conn.streamError({ code: '401' }, { tag: 'conflict', attrs: { type: 'device_removed' } });
  }
  return n;
}

/**
 * Disconnects every connected device of the phone: `drop` kills the TCP socket without a close frame (→ 428),
 * `conflict` says another session replaced it (→ 440), `restart` asks for a restart (→ 515). Returns how many were hit.
 */
export function disconnect(state: SimState, phoneInput: string, mode: DisconnectMode): number {
  if (mode !== 'drop' && mode !== 'conflict' && mode !== 'restart') throw new SimError('invalid_mode', 'mode must be drop, conflict or restart');
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
