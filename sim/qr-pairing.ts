/**
 * QR pairing (protocol doc section 5): hand out refs on a registration connection, and let a simulated phone
 * "scan" the QR the client rendered from one of them.
 */
import { randomBytes } from 'node:crypto';
import type { proto } from 'baileys';
import type { Connection } from './connection.ts';
import { completePairing, type PairResult } from './adv.ts';
import { SimError } from './errors.ts';
import { normalizePhone } from './phone-number.ts';
import type { Registration, SimState } from './state.ts';

/** Real WhatsApp sends 6 refs; the client rotates through them (its qrTimeout option sets the pace) and then gives up with 408. */
export const REF_COUNT = 6;

export function startRegistration(state: SimState, conn: Connection, payload: proto.IClientPayload): void {
  const pd = payload.devicePairingData!;
  const identityPub = Buffer.from(pd.eIdent ?? []);
  if (identityPub.length !== 32) throw new Error('registration without a 32-byte eIdent');
  const reg: Registration = {
    conn,
    refs: Array.from({ length: REF_COUNT }, () => `2@${randomBytes(24).toString('base64')}`),
    noisePub: conn.clientStatic!,
    identityPub,
    paired: false,
    link: null,
  };
  conn.kind = 'registration';
  state.registrations.set(conn, reg);
  for (const r of reg.refs) state.refs.set(r, reg);
  conn.send({
    tag: 'iq',
    attrs: { from: 's.whatsapp.net', type: 'set', id: conn.newId('pd'), xmlns: 'md' },
    content: [
      {
        tag: 'pair-device',
        attrs: {},
        // The client reads refs with content.toString('utf-8'), so send bytes.
        content: reg.refs.map((r) => ({ tag: 'ref', attrs: {}, content: Buffer.from(r) })),
      },
    ],
  });
}

interface ParsedQr {
  ref: string;
  noisePub: Buffer;
  identityPub: Buffer;
  advSecret: Buffer;
  platformId: string;
}

/** `https://wa.me/settings/linked_devices#<ref>,<noiseB64>,<identityB64>,<advB64>,<platformId>` (the bare fragment is accepted too). */
export function parseQr(qr: string): ParsedQr {
  const s = String(qr ?? '').trim();
  const frag = s.includes('#') ? s.slice(s.indexOf('#') + 1) : s;
  const parts = frag.split(',');
  if (parts.length < 4 || !parts[0]) throw new SimError('qr_invalid', 'not a WhatsApp linking QR');
  const [ref, noise, ident, adv, platformId = ''] = parts;
  const noisePub = Buffer.from(noise, 'base64');
  const identityPub = Buffer.from(ident, 'base64');
  const advSecret = Buffer.from(adv, 'base64');
  if (noisePub.length !== 32 || identityPub.length !== 32 || advSecret.length !== 32) {
    throw new SimError('qr_invalid', 'QR keys are malformed');
  }
  return { ref, noisePub, identityPub, advSecret, platformId };
}

export async function scan(
  state: SimState,
  input: { qr: string; phone: string; pushName?: string | null; platform?: string; businessName?: string | null },
): Promise<PairResult> {
  const phone = normalizePhone(input.phone);
  const qr = parseQr(input.qr);
  const reg = state.refs.get(qr.ref);
  if (!reg || reg.conn.closed || reg.paired) throw new SimError('qr_unknown', 'QR code is unknown or expired');
  // The QR must describe the very companion holding the ref, as the real phone checks the keys it links.
  if (!qr.noisePub.equals(reg.noisePub) || !qr.identityPub.equals(reg.identityPub)) {
    throw new SimError('qr_invalid', 'QR keys do not match the companion that received this ref');
  }
  return completePairing(state, reg, { ...input, phone }, qr.advSecret);
}
