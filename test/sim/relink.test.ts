/**
 * Re-linking is faithful: a removed companion leaves no Signal session or key behind on the phone's or the contacts'
 * side, so a new companion on the same phone (same device id or another) gets the push name, renames and texts both
 * ways, after unlink, after Baileys' logout(), and next to another companion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  criticalVersion,
  record,
  until,
  VERIFY,
  within,
  withSim,
  type Auth,
  type Client,
  type TestCtx,
} from './helpers.ts';

const PHONE = '201012345678';
const CONTACT = '201099990001';

/** Everything a linked companion should be able to do: name synced, rename reaches it, texts both ways decrypt. */
async function livesFully(ctx: TestCtx, a: Auth, client: Client, name: string, others: number): Promise<string> {
  const rec = record(client);
  await until(() => a.state.creds.me?.name === name, 5_000, `me.name ${name} from app-state`);
  const renamed = `${name} *`;
  const { notified } = await ctx.sim.setPushName(PHONE, renamed);
  assert.equal(notified, 1 + others, 'every connected companion is told about the rename');
  await until(() => a.state.creds.me?.name === renamed, 5_000, 'rename reached the companion');
  assert.ok((await criticalVersion(a))! >= 2);

  const incoming = await ctx.sim.sendText({ from: CONTACT, to: PHONE, text: `to ${a.state.creds.me!.id}` });
  const got = await until(() => rec.textFrom(incoming.id), 5_000, 'contact text decrypted by the companion');
  assert.equal(got.msg.message?.conversation, `to ${a.state.creds.me!.id}`);

  const before = ctx.sim.receivedMessages(CONTACT).length;
  const sent = await client.sock.sendMessage(`${CONTACT}@s.whatsapp.net`, { text: `from ${a.state.creds.me!.id}` });
  await until(() => ctx.sim.receivedMessages(CONTACT).length > before, 5_000, 'contact decrypted the companion text');
  assert.equal(ctx.sim.receivedMessages(CONTACT).at(-1)!.id, sent!.key.id);
  return renamed;
}

test('unlink from the phone, then link again with a new companion (same device id): name, rename, texts both ways', async () => {
  await withSim(async (ctx) => {
    const a = await ctx.auth();
    const first = await ctx.pair(a, { phone: PHONE, pushName: 'John Doe' }, VERIFY);
    const name = await livesFully(ctx, a, first.client, 'John Doe', 0);

    assert.equal(await ctx.sim.unlink(PHONE), 1);
    assert.equal((await within(first.client.closed, 5_000, '401')).statusCode, 401);

    const b = await ctx.auth();
    const second = await ctx.pair(b, { phone: PHONE }, VERIFY);
    assert.equal(second.jid, `${PHONE}:1@s.whatsapp.net`, 'the device id is reused');
    await livesFully(ctx, b, second.client, name, 0);
    // No decryption failed anywhere: every text the companion got has content.
    const rec = record(second.client);
    const again = await ctx.sim.sendText({ from: CONTACT, to: PHONE, text: 'once more' });
    assert.equal(
      (await until(() => rec.textFrom(again.id), 5_000, 'second text')).msg.message?.conversation,
      'once more',
    );
  });
});

test("Baileys' logout(), then link again: name, rename, texts both ways", async () => {
  await withSim(async (ctx) => {
    const a = await ctx.auth();
    const first = await ctx.pair(a, { phone: PHONE, pushName: 'Jane Roe' }, VERIFY);
    const name = await livesFully(ctx, a, first.client, 'Jane Roe', 0);
    await first.client.sock.logout();
    await within(first.client.closed, 5_000, 'logged out');
    await until(() => ctx.sim.listPhones()[0].devices.length === 0, 2_000, 'device removed');

    const b = await ctx.auth();
    const second = await ctx.pair(b, { phone: PHONE }, VERIFY);
    await livesFully(ctx, b, second.client, name, 0);
  });
});

test('a second companion of the same phone, then the first logs out and a third takes its device id', async () => {
  await withSim(async (ctx) => {
    const a = await ctx.auth();
    const first = await ctx.pair(a, { phone: PHONE, pushName: 'Ann Lee' }, VERIFY);
    let name = await livesFully(ctx, a, first.client, 'Ann Lee', 0);

    const b = await ctx.auth();
    const second = await ctx.pair(b, { phone: PHONE }, VERIFY);
    assert.equal(second.jid, `${PHONE}:2@s.whatsapp.net`);
    name = await livesFully(ctx, b, second.client, name, 1);
    assert.equal(a.state.creds.me?.name, name, 'the first companion got the rename too');

    await first.client.sock.logout();
    await within(first.client.closed, 5_000, 'first logged out');
    await until(() => ctx.sim.listPhones()[0].devices.length === 1, 2_000, 'first removed');

    const c = await ctx.auth();
    const third = await ctx.pair(c, { phone: PHONE }, VERIFY);
    assert.equal(third.jid, `${PHONE}:1@s.whatsapp.net`, 'the freed device id is reused');
    await livesFully(ctx, c, third.client, name, 1);
    await until(() => b.state.creds.me?.name === `${name} *`, 5_000, 'the second companion still follows renames');
  });
});
