/**
 * Pairing by phone-number code (protocol doc section 13), the phone/server side:
 * companion_hello → (phone enters the code) primary_hello → companion_finish → pair-success.
 * A wrong code cannot be detected when the phone unwraps (AES-CTR has no MAC); it shows as a GCM failure at companion_finish.
 */
import { randomBytes } from 'node:crypto';
import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  Curve,
  derivePairingCodeKey,
  getBinaryNodeChild,
  hkdf,
  type BinaryNode,
} from 'baileys';
import { completePairing, type PairResult } from './adv.ts';
import { randomKeyPair } from './certs.ts';
import type { Connection } from './connection.ts';
import { SimError } from './errors.ts';
import { normalizePhone, PHONE_RE } from './phone-number.ts';
import type { LinkResult, SimState } from './state.ts';
import type { PairInput } from './types.ts';

/** How long enterCode() waits for the companion's companion_finish (the client needs ~35 ms of PBKDF2). */
const FINISH_TIMEOUT_MS = 15_000;

/** Child content as bytes. Short digit strings are nibble-packed by the codec and decode as JS strings. */
function childBytes(node: BinaryNode, tag: string): Buffer | undefined {
  const c = getBinaryNodeChild(node, tag)?.content;
  if (c instanceof Uint8Array) return Buffer.from(c);
  if (typeof c === 'string') return Buffer.from(c, 'utf8');
  return undefined;
}

const badRequest = (conn: Connection, iq: BinaryNode, text = 'bad-request', code = '400') =>
  conn.reply(iq, [{ tag: 'error', attrs: { code, text } }], 'error');

/** 80 bytes: salt(32) ‖ iv(16) ‖ AES-256-CTR(PBKDF2(code, salt), iv, pub32). */
async function wrapKey(code: string, pub: Buffer): Promise<Buffer> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await derivePairingCodeKey(code, salt);
  return Buffer.concat([salt, iv, aesEncryptCTR(pub, key, iv)]);
}

async function unwrapKey(code: string, wrapped: Buffer): Promise<Buffer> {
  const key = await derivePairingCodeKey(code, wrapped.subarray(0, 32));
  return aesDecryptCTR(wrapped.subarray(48, 80), key, wrapped.subarray(32, 48));
}

export async function onCompanionHello(
  state: SimState,
  conn: Connection,
  iq: BinaryNode,
  node: BinaryNode,
): Promise<void> {
  const reg = state.registrations.get(conn);
  const phone = (node.attrs.jid ?? '').split('@')[0];
  const wrapped = childBytes(node, 'link_code_pairing_wrapped_companion_ephemeral_pub');
  const authKey = childBytes(node, 'companion_server_auth_key_pub');
  // Only a companion in registration may ask; its noise key must be the one it will log in with later.
  if (!reg || reg.paired || !PHONE_RE.test(phone) || wrapped?.length !== 80 || !authKey?.equals(reg.noisePub)) {
    conn.log.info({ phone, registration: !!reg }, 'companion_hello refused');
    return badRequest(conn, iq);
  }
  const ref = randomBytes(16).toString('base64url');
  // A new hello replaces an older attempt from this companion; the phone routes by number to the latest one.
  if (reg.link && state.pendingCodes.get(reg.link.phone) === reg) state.pendingCodes.delete(reg.link.phone);
  reg.link?.settle?.({ ok: false, code: 'code_superseded', message: 'the companion started a new pairing code' });
  reg.link = {
    phone,
    ref,
    wrappedCompanionEph: wrapped,
    platformId: childBytes(node, 'companion_platform_id')?.toString() ?? '',
    platformDisplay: childBytes(node, 'companion_platform_display')?.toString() ?? '',
  };
  state.pendingCodes.set(phone, reg);
  conn.log.info({ phone }, 'companion_hello: waiting for the phone to enter the code');
  conn.reply(iq, [
    {
      tag: 'link_code_companion_reg',
      attrs: {},
      content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }],
    },
  ]);
}

/**
 * The phone types `code`. Resolves once the companion has finished and pair-success is sent. A wrong code is only
 * noticed at companion_finish; then this rejects with SimError('code_mismatch') and the phone may try again.
 */
export async function enterCode(state: SimState, input: PairInput & { code: string }): Promise<PairResult> {
  const phone = normalizePhone(input.phone);
  const reg = state.pendingCodes.get(phone);
  const link = reg?.link;
  if (!reg || !link || reg.conn.closed || reg.paired)
    throw new SimError('no_pending_code', `no companion is waiting for a code for ${phone}`);
  if (link.settle) throw new SimError('code_in_progress', 'a code was already entered and is being checked');
  const code = String(input.code ?? '').replace(/[\s-]/g, ''); // the exact string is the PBKDF2 password
  if (code.length !== 8) throw new SimError('invalid_code', 'a pairing code has 8 characters');

  const account = state.phones.getOrCreate(phone);
  const companionEph = await unwrapKey(code, link.wrappedCompanionEph);
  const primaryEph = randomKeyPair();
  const wrappedPrimary = await wrapKey(code, primaryEph.public);
  if (reg.conn.closed || reg.link !== link) throw new SimError('no_pending_code', 'the companion went away');

  const done = new Promise<PairResult>((resolve, reject) => {
    const timer = setTimeout(
      () => finish({ ok: false, code: 'code_timeout', message: 'the companion never finished pairing' }),
      FINISH_TIMEOUT_MS,
    );
    timer.unref();
    function finish(r: LinkResult) {
      clearTimeout(timer);
      if (link!.settle !== finish) return;
      link!.settle = undefined;
      link!.primaryEph = undefined;
      link!.companionEph = undefined;
      if (r.ok) resolve({ jid: r.jid, lid: r.lid });
      else reject(new SimError(r.code, r.message));
    }
    link.settle = finish;
  });
  link.primaryEph = primaryEph;
  link.input = { ...input, phone };
  link.companionEph = companionEph;
  reg.conn.send({
    tag: 'notification',
    attrs: {
      from: 's.whatsapp.net',
      type: 'link_code_companion_reg',
      id: reg.conn.newId('lc'),
      t: String(Math.floor(Date.now() / 1000)),
    },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: { stage: 'primary_hello' },
        // All three as bytes: the client reads them with getBinaryNodeChildBuffer, which ignores strings.
        content: [
          { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(link.ref) },
          { tag: 'primary_identity_pub', attrs: {}, content: account.accountKey.public },
          { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrappedPrimary },
        ],
      },
    ],
  });
  return done;
}

export async function onCompanionFinish(
  state: SimState,
  conn: Connection,
  iq: BinaryNode,
  node: BinaryNode,
): Promise<void> {
  const reg = state.registrations.get(conn);
  const link = reg?.link;
  const companionEph = link?.companionEph;
  const ref = childBytes(node, 'link_code_pairing_ref')?.toString();
  if (!reg || !link || !link.primaryEph || !link.input || !companionEph || ref !== link.ref) {
    conn.log.info('companion_finish without a matching primary_hello');
    return badRequest(conn, iq);
  }
  const fail = (code: string, message: string) => {
    conn.log.info({ phone: link.phone, code }, `companion_finish refused: ${message}`);
    badRequest(conn, iq, 'not-authorized', '401');
    link.settle?.({ ok: false, code, message });
  };
  const bundle = childBytes(node, 'link_code_pairing_wrapped_key_bundle');
  const companionIdentity = childBytes(node, 'companion_identity_public');
  if (!bundle || bundle.length < 32 + 12 + 16 || !companionIdentity?.equals(reg.identityPub)) {
    return fail('bad_bundle', 'malformed key bundle or identity differs from registration');
  }
  const account = state.phones.getOrCreate(link.phone);
  let plain: Buffer;
  let companionShared: Buffer;
  try {
    companionShared = Curve.sharedKey(link.primaryEph.private, companionEph);
    const key = Buffer.from(
      hkdf(companionShared, 32, { salt: bundle.subarray(0, 32), info: 'link_code_pairing_key_bundle_encryption_key' }),
    );
    plain = aesDecryptGCM(bundle.subarray(44), key, bundle.subarray(32, 44), Buffer.alloc(0));
  } catch {
    // A wrong code gives the companion a different ephemeral key, so the bundle does not authenticate.
    return fail('code_mismatch', 'the entered code does not match the companion (key bundle did not decrypt)');
  }
  if (
    plain.length !== 96 ||
    !plain.subarray(0, 32).equals(companionIdentity) ||
    !plain.subarray(32, 64).equals(account.accountKey.public)
  ) {
    return fail('bad_bundle', 'key bundle names the wrong identities');
  }
  const identityShared = Curve.sharedKey(account.accountKey.private, companionIdentity);
  const advSecret = Buffer.from(
    hkdf(Buffer.concat([companionShared, identityShared, plain.subarray(64, 96)]), 32, { info: 'adv_secret' }),
  );
  // Answer first: only this result makes the client set creds.registered. pair-success is handled independently.
  conn.reply(iq);
  const input = link.input;
  try {
    const res = completePairing(state, reg, input, advSecret);
    link.settle?.({ ok: true, ...res });
  } catch (err) {
    link.settle?.({
      ok: false,
      code: err instanceof SimError ? err.code : 'pair_failed',
      message: String((err as Error).message),
    });
  }
}
