import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEFAULT_CONNECTION_CONFIG, decodePatches, encodeSyncdPatch, newLTHashState, proto } from 'baileys';
import { APP_STATE_MAC_VERIFICATION } from '../../../src/engine/baileys/baileys-session.ts';

/**
 * Baileys finding (protocol notes 14.8): by default (`appStateMacVerification` false/false) Baileys applies app-state
 * patches without checking their MACs, so a patch altered on the way (AES-CBC is malleable: flipping IV bits flips
 * plaintext bits) is applied as altered. The engine passes APP_STATE_MAC_VERIFICATION to every socket; with it the
 * same altered patch is refused and the genuine one still applies.
 */

const keyId = randomBytes(6).toString('base64');
const keyData = randomBytes(32);
const getKey = async (id: string) =>
  id === keyId ? proto.Message.AppStateSyncKeyData.fromObject({ keyData }) : undefined;

async function pushNamePatch(name: string): Promise<proto.ISyncdPatch> {
  const { patch, state } = await encodeSyncdPatch(
    {
      type: 'critical_block',
      index: ['setting_pushName'],
      syncAction: { timestamp: Date.now(), pushNameSetting: { name } },
      apiVersion: 1,
      operation: proto.SyncdMutation.SyncdOperation.SET,
    },
    keyId,
    newLTHashState(),
    getKey,
  );
  return proto.SyncdPatch.decode(proto.SyncdPatch.encode({ ...patch, version: { version: state.version } }).finish());
}

/** Flips IV bits of the first mutation so that byte 5 of the plaintext ("setting…"'s 'e') becomes an 'i'. */
function alter(patch: proto.ISyncdPatch): proto.ISyncdPatch {
  const copy = proto.SyncdPatch.decode(proto.SyncdPatch.encode(patch).finish());
  const blob = Buffer.from(copy.mutations![0]!.record!.value!.blob!);
  blob[5] = blob[5]! ^ ('e'.charCodeAt(0) ^ 'i'.charCodeAt(0));
  copy.mutations![0]!.record!.value!.blob = blob;
  return copy;
}

async function applied(patch: proto.ISyncdPatch, validateMacs: boolean): Promise<string[]> {
  const { mutationMap } = await decodePatches(
    'critical_block',
    [patch],
    newLTHashState(),
    getKey,
    {},
    undefined,
    undefined,
    validateMacs,
  );
  return Object.keys(mutationMap);
}

test("app-state MACs: Baileys' default applies an altered patch; the engine's setting refuses it and applies the genuine one", async () => {
  assert.deepEqual(DEFAULT_CONNECTION_CONFIG.appStateMacVerification, { patch: false, snapshot: false }, 'the finding');
  assert.deepEqual(APP_STATE_MAC_VERIFICATION, { patch: true, snapshot: true });

  const genuine = await pushNamePatch('Alice');
  const altered = alter(genuine);
  assert.deepEqual(
    await applied(altered, DEFAULT_CONNECTION_CONFIG.appStateMacVerification.patch),
    ['["sitting_pushName"]'],
    'altered, and applied',
  );
  assert.deepEqual(await applied(altered, APP_STATE_MAC_VERIFICATION.patch), [], 'refused with MAC checks');
  assert.deepEqual(await applied(genuine, APP_STATE_MAC_VERIFICATION.patch), ['["setting_pushName"]']);
});
