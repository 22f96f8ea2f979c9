/**
 * Connection faults for the security work (issue 14): what the server presents in the Noise handshake, observed from
 * inside unmodified Baileys. rc14 accepts both faults (it never compares the leaf key with the server's static key and
 * never looks at validity dates: protocol doc section 3); making the client refuse them is the engine's job.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Curve, proto } from 'baileys';
import * as libsignalCurve from 'libsignal/src/curve.js';
import { within, withSim, type TestCtx } from './helpers.ts';

const reallyVerifies = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) =>
  libsignalCurve.verifySignature(
    Buffer.concat([Buffer.from([5]), Buffer.from(pub)]),
    Buffer.from(msg),
    Buffer.from(sig),
  ) === true;

interface Seen {
  /** The leaf certificate as the client received it, and whether its signature really verifies under the intermediate. */
  leaf: proto.CertChain.NoiseCertificate.Details;
  leafBytes: Buffer;
  leafSigned: boolean;
  intermediateSigned: boolean;
  /** The server's Noise static key as the client decrypted it (second DH of processHandshake). */
  serverStatic: Buffer;
}

/** Connects one client, waits for its QR (the handshake was accepted) and returns what its handshake saw. */
async function handshake(ctx: TestCtx): Promise<Seen> {
  const verify = Curve.verify;
  const sharedKey = Curve.sharedKey;
  const verifies: Array<{ pub: Buffer; msg: Buffer; sig: Buffer }> = [];
  const dhPeers: Buffer[] = [];
  Curve.verify = (pub, msg, sig) => {
    if (new Error().stack?.includes('noise-handler'))
      verifies.push({ pub: Buffer.from(pub), msg: Buffer.from(msg), sig: Buffer.from(sig) });
    return verify(pub, msg, sig);
  };
  Curve.sharedKey = (priv, pub) => {
    // The simulator runs in this process and uses the same Curve: keep only the client's own DH steps.
    if (new Error().stack?.includes('noise-handler')) dhPeers.push(Buffer.from(pub));
    return sharedKey(priv, pub);
  };
  try {
    const c = ctx.connect(ctx.sim, await ctx.auth());
    await within(c.qr(), 5_000, 'QR: rc14 accepted the handshake');
    c.end();
    await within(c.closed, 3_000, 'end');
  } finally {
    Curve.verify = verify;
    Curve.sharedKey = sharedKey;
  }
  // noise-handler processHandshake: DH(ephemeral), DH(server static), verify(leaf), verify(intermediate), DH(noise key, ephemeral).
  const [leafCall, intermediateCall] = verifies;
  return {
    leaf: proto.CertChain.NoiseCertificate.Details.decode(leafCall.msg),
    leafBytes: leafCall.msg,
    leafSigned: reallyVerifies(leafCall.pub, leafCall.msg, leafCall.sig),
    intermediateSigned:
      intermediateCall.pub.equals(ctx.sim.rootPublicKey) &&
      reallyVerifies(intermediateCall.pub, intermediateCall.msg, intermediateCall.sig),
    serverStatic: dhPeers[1],
  };
}

test('cert_key_mismatch: the genuine chain, but a Noise static key that is not the leaf key, for exactly the next N connections', async () => {
  await withSim(async (ctx) => {
    const normal = await handshake(ctx);
    assert.ok(normal.leafSigned && normal.intermediateSigned);
    assert.ok(Buffer.from(normal.leaf.key!).equals(normal.serverStatic), 'normally the leaf names the static key');

    assert.deepEqual(ctx.sim.faults.inject({ fault: 'cert_key_mismatch', connections: 2 }), { pending: 2 });
    for (let i = 0; i < 2; i++) {
      const bad = await handshake(ctx);
      assert.ok(bad.leafBytes.equals(normal.leafBytes), 'the same genuine leaf certificate');
      assert.ok(bad.leafSigned && bad.intermediateSigned, 'a chain the client trusts');
      assert.equal(bad.serverStatic.length, 32);
      assert.ok(!Buffer.from(bad.leaf.key!).equals(bad.serverStatic), 'the static key is not the leaf key');
    }
    assert.deepEqual(ctx.sim.faults.pending, []);
    const after = await handshake(ctx);
    assert.ok(Buffer.from(after.leaf.key!).equals(after.serverStatic), 'the third connection is normal again');
  });
});

test('cert_expired: a correctly signed leaf whose validity period is over; later connections get a valid leaf', async () => {
  await withSim(async (ctx) => {
    const now = Math.floor(Date.now() / 1000);
    assert.deepEqual(ctx.sim.faults.inject({ fault: 'cert_expired' }), { pending: 1 });
    const expired = await handshake(ctx);
    assert.ok(expired.leafSigned && expired.intermediateSigned, 'signatures are genuine: only the dates are wrong');
    assert.ok(Number(expired.leaf.notAfter) < now, 'notAfter is in the past');
    assert.ok(Number(expired.leaf.notBefore) < Number(expired.leaf.notAfter));
    assert.ok(Buffer.from(expired.leaf.key!).equals(expired.serverStatic), 'the key matches: only the validity is off');

    const valid = await handshake(ctx);
    assert.ok(Number(valid.leaf.notBefore) <= now && now < Number(valid.leaf.notAfter));
  });
});

test('faults queue in order; clear() forgets them; bad input is refused', async () => {
  await withSim(async (ctx) => {
    const { faults } = ctx.sim;
    faults.inject({ fault: 'cert_expired' });
    assert.deepEqual(faults.inject({ fault: 'cert_key_mismatch', connections: 1 }), { pending: 2 });
    assert.deepEqual(faults.pending, ['cert_expired', 'cert_key_mismatch']);
    const first = await handshake(ctx);
    assert.ok(Number(first.leaf.notAfter) < Date.now() / 1000);
    assert.deepEqual(faults.pending, ['cert_key_mismatch']);
    faults.clear();
    assert.deepEqual(faults.pending, []);
    const normal = await handshake(ctx);
    assert.ok(Buffer.from(normal.leaf.key!).equals(normal.serverStatic));
    assert.throws(() => faults.inject({ fault: 'nope' as never }), { code: 'invalid_fault' });
    assert.throws(() => faults.inject({ fault: 'cert_expired', connections: 0 }), { code: 'invalid_connections' });
    assert.throws(() => faults.inject({ fault: 'cert_expired', connections: 1.5 }), { code: 'invalid_connections' });
  });
});

test('HTTP control: POST /faults → {pending}, GET /faults lists them, DELETE /faults → 204', async () => {
  await withSim(
    async (ctx) => {
      const base = ctx.sim.url.replace(/^ws:/, 'http:').replace(/\/ws\/chat$/, '');
      const post = (body: unknown) =>
        fetch(`${base}/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const ok = await post({ fault: 'cert_key_mismatch', connections: 3 });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { pending: 3 });
      assert.deepEqual(await (await post({ fault: 'cert_expired' })).json(), { pending: 4 });
      const bad = await post({ fault: 'cert_revoked', connections: 1 });
      assert.equal(bad.status, 400);
      assert.equal((await bad.json()).code, 'invalid_fault');
      assert.equal((await post({ fault: 'cert_expired', connections: '2' })).status, 400);
      const listed = await (await fetch(`${base}/faults`)).json();
      assert.deepEqual(listed.pending, ['cert_key_mismatch', 'cert_key_mismatch', 'cert_key_mismatch', 'cert_expired']);
      const mismatched = await handshake(ctx);
      assert.ok(!Buffer.from(mismatched.leaf.key!).equals(mismatched.serverStatic));
      const cleared = await fetch(`${base}/faults`, { method: 'DELETE' });
      assert.equal(cleared.status, 204);
      assert.deepEqual(ctx.sim.faults.pending, []);
      const normal = await handshake(ctx);
      assert.ok(Buffer.from(normal.leaf.key!).equals(normal.serverStatic));
    },
    { controlApi: true },
  );
});
