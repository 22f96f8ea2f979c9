import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Curve, proto } from 'baileys';
import * as libsignalCurve from 'libsignal/src/curve.js';
import { within, withSim } from './helpers.ts';

/** libsignal's real check. Baileys' Curve.verify swallows libsignal's `false` and always says true in rc14. */
const reallyVerifies = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) =>
  libsignalCurve.verifySignature(
    Buffer.concat([Buffer.from([5]), Buffer.from(pub)]),
    Buffer.from(msg),
    Buffer.from(sig),
  ) === true;

type Call = { pub: Buffer; msg: Buffer; sig: Buffer };

/** Records the client's certificate checks during one handshake; with `strict`, answers them truthfully (as the engine's fix does). */
async function withRecordedVerify(strict: boolean, fn: (calls: Call[]) => Promise<void>): Promise<void> {
  const original = Curve.verify;
  const calls: Call[] = [];
  Curve.verify = (pub, msg, sig) => {
    calls.push({ pub: Buffer.from(pub), msg: Buffer.from(msg), sig: Buffer.from(sig) });
    return strict ? reallyVerifies(pub, msg, sig) : original(pub, msg, sig);
  };
  try {
    await fn(calls);
  } finally {
    Curve.verify = original;
  }
}

test('the certificate chain is really signed: intermediate by the simulator root, leaf by the intermediate, issuerSerial 0 on the wire', async () => {
  await withRecordedVerify(false, async (calls) => {
    await withSim(async ({ sim, auth, connect }) => {
      const c = connect(sim, await auth());
      await within(c.qr(), 5_000, 'QR');
      // noise-handler calls verify(intermediate.key, leaf.details, leaf.sig), then verify(root, intermediate.details, intermediate.sig).
      const [leafCall, intermediateCall] = calls;
      assert.ok(intermediateCall.pub.equals(sim.rootPublicKey));
      assert.ok(
        reallyVerifies(intermediateCall.pub, intermediateCall.msg, intermediateCall.sig),
        'intermediate signed by the root',
      );
      assert.ok(reallyVerifies(leafCall.pub, leafCall.msg, leafCall.sig), 'leaf signed by the intermediate');
      const details = proto.CertChain.NoiseCertificate.Details.decode(intermediateCall.msg);
      assert.equal(details.issuerSerial, 0);
      assert.ok(Buffer.from(details.key!).equals(leafCall.pub));
      // Field 2 (issuerSerial) varint 0 must be present, not omitted: tag byte 0x10 followed by 0x00.
      assert.ok(intermediateCall.msg.includes(Buffer.from([0x10, 0x00])));
      // A tampered message does not verify (the check above is meaningful).
      const tampered = Buffer.from(leafCall.msg);
      tampered[tampered.length - 1] ^= 1;
      assert.equal(reallyVerifies(leafCall.pub, tampered, leafCall.sig), false);
    });
  });
});

test('rootSeed makes the root deterministic (sha256(seed) as the private key)', async () => {
  await withSim(
    async ({ sim }) => {
      assert.equal(
        sim.rootPublicKey.toString('hex'),
        '744095d2a1e5c3eb753b8c2c2cd56dec72f75feb2a10ae3c8985906b59593f07',
      );
    },
    { rootSeed: 'wa-sim-root-v1' },
  );
  await withSim(async ({ sim }) => assert.equal(sim.rootPublicKey.length, 32));
});

test('foreignRoot: a client that really verifies refuses the chain (400); the same client accepts the real root', async () => {
  await withRecordedVerify(true, async () => {
    await withSim(async ({ sim, auth, connect }) => {
      const a = await auth();
      const good = connect(sim, a);
      await within(good.qr(), 5_000, 'QR with the simulator root');
      good.end();
      await within(good.closed, 3_000, 'end');

      sim.faults.foreignRoot = true;
      const bad = connect(sim, a);
      const closed = await within(bad.closed, 5_000, 'refused chain');
      assert.equal(closed.statusCode, 400);
      assert.match(closed.message, /intermediate certificate signature invalid/);
      assert.equal(
        bad.updates.some((u) => u.qr),
        false,
      );
    });
  });
});

test('forgeAccountSignature: a client that really verifies refuses pair-success (500); the genuine signature passes', async () => {
  await withRecordedVerify(true, async () => {
    await withSim(async ({ sim, auth, connect, pair }) => {
      sim.faults.forgeAccountSignature = true;
      const bad = connect(sim, await auth());
      await sim.scan({ qr: await within(bad.qr(), 5_000, 'QR'), phone: '201012345678' });
      const closed = await within(bad.closed, 5_000, 'refused pairing');
      assert.equal(closed.statusCode, 500);
      assert.match(
        closed.message,
        /Failed to verify account signature/,
        'the HMAC passed: only the signature check caught it',
      );
      // The companion never signed, so the phone forgets the device.
      for (let i = 0; i < 100 && sim.listPhones()[0]?.devices.length; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(sim.listPhones()[0].devices.length, 0);

      sim.faults.forgeAccountSignature = false;
      const a = await auth();
      await pair(a, { phone: '201012345678' });
      assert.equal(a.state.creds.me?.id, '201012345678:1@s.whatsapp.net');
    });
  });
});
