import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../sim/index.ts';
import { clusterSecret, signForward } from '../../src/http/forward/index.ts';
import { eventually } from '../cluster/helpers.ts';
import { CLUSTER_MASTER_KEY, type NodeProcess, callNode, killNode, startNode } from '../harness/cluster-nodes.ts';
import { dropSchema, pgQuery, randomSchema } from '../store/pg.ts';

/**
 * Any node answers any call (docs/multi-node.md "Forwarding"): three real gateway processes on one PostgreSQL schema and
 * a standalone simulator. An instance runs on one node; every call through the others gives the owner's answer (they
 * forward it, signed); a call that claims to be forwarded and does not verify reaches no handler; and after a kill -9
 * of the owner the others say STARTING/node_lost, never WORKING, until the takeover makes it WORKING again.
 */

const schema = randomSchema();
let sim: Simulator;
const nodes: NodeProcess[] = [];
const PHONE = '201055501717';
const CONTACT = '201055509191';

before(async () => {
  sim = await startSimulator({ port: 0 });
  await pgQuery(`CREATE SCHEMA "${schema}"`);
});
after(async () => {
  for (const n of nodes) await killNode(n);
  await sim.stop();
  await dropSchema(schema);
});

async function holder(id: string): Promise<string | null> {
  const rows = await pgQuery<{ node_id: string }>(
    `SELECT node_id FROM "${schema}".instance_leases WHERE instance_id = $1 AND node_id IS NOT NULL AND expires_at > clock_timestamp()`,
    [id],
  );
  return rows[0]?.node_id ?? null;
}

test('three nodes: every call through any node gets the owner answer; forged forwards refused; node_lost after kill -9', async () => {
  const [a, b, c] = await Promise.all(['fw-a', 'fw-b', 'fw-c'].map((id) => startNode(id, schema, sim)));
  nodes.push(a!, b!, c!);
  const all = [a!, b!, c!];
  const account = await callNode(a!, 'POST', '/admin/accounts', { body: { name: 'forwarding', max_instances: 5 } });
  assert.equal(account.status, 201, account.text);
  const token = account.body.access_token as string;
  const id = (await callNode(a!, 'POST', '/v2/session/create', { token, body: { name: 'fw' } })).body
    .instance_id as string;
  const q = `instance_id=${id}`;
  const on = (n: NodeProcess, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    callNode(n, method, path.includes('?') ? `${path}&${q}` : `${path}?${q}`, { token, body, headers });
  const working = (n: NodeProcess) =>
    eventually(
      async () => ((await on(n, 'GET', '/v2/session/info')).body?.status === 'WORKING' ? true : undefined),
      `WORKING through ${n.id}`,
      60_000,
    );

  // Started through node A: A takes the free lease. The QR is asked for through B (forwarded to A).
  const startedOnA = await on(a!, 'POST', '/v2/session/start');
  assert.equal(startedOnA.status, 200, `${startedOnA.text}\n${a!.log().slice(-3000)}`);
  assert.equal(await holder(id), 'fw-a');
  const qr = await eventually(
    async () => {
      const r = await on(b!, 'GET', '/v2/auth/qr');
      return r.status === 200 ? (r.body.value as string) : undefined;
    },
    'QR through node B',
    60_000,
  );
  await sim.scan({ qr, phone: PHONE, pushName: 'Forward Desk', platform: 'android' });
  await working(c!);
  await eventually(
    async () => ((await on(a!, 'GET', '/v2/session/me')).body?.pushName === 'Forward Desk' ? true : undefined),
    'the push name synced',
    30_000,
  );

  // Reads: the same bytes through every node (/me, its ETag, its 304; /info; an error's body but its request id).
  const me = await Promise.all(all.map((n) => on(n, 'GET', '/v2/session/me')));
  for (const r of me) {
    assert.equal(r.status, 200);
    assert.equal(r.text, me[0]!.text, '/me byte-identical');
    assert.equal(r.headers.get('etag'), me[0]!.headers.get('etag'));
    assert.equal(r.headers.get('content-type'), me[0]!.headers.get('content-type'));
  }
  const etag = me[0]!.headers.get('etag')!;
  assert.equal((await on(b!, 'GET', '/v2/session/me', undefined, { 'if-none-match': etag })).status, 304);
  const xml = await Promise.all(all.map((n) => on(n, 'GET', '/v2/session/me', undefined, { accept: 'text/xml' })));
  for (const r of xml) assert.equal(r.text, xml[0]!.text, 'XML /me byte-identical');
  const info = await Promise.all(all.map((n) => on(n, 'GET', '/v2/session/info')));
  for (const r of info) assert.equal(r.text, info[0]!.text, '/info byte-identical');
  const badSeen = await Promise.all(all.map((n) => on(n, 'POST', '/v2/send/seen', { chatId: 'nope' })));
  for (const r of badSeen) {
    assert.equal(r.status, 400);
    assert.deepEqual({ ...r.body, request_id: 0 }, { ...badSeen[0]!.body, request_id: 0 });
    assert.equal(r.body.request_id, r.headers.get('x-request-id'), 'the request id of the node the client called');
  }

  // Commands: typing and seen through B and C reach the contact; texts through B and C arrive once each.
  const typing = await on(b!, 'POST', '/v2/send/start-typing', { chatId: CONTACT });
  assert.deepEqual([typing.status, typing.body], [200, { chatId: `${CONTACT}@c.us`, state: 'composing' }]);
  assert.equal((await on(c!, 'POST', '/v2/send/stop-typing', { chatId: CONTACT })).status, 200);
  const incoming = await sim.sendText({ from: CONTACT, to: PHONE, text: 'hello desk' });
  await new Promise((r) => setTimeout(r, 300)); // the gateway receives and decrypts it
  const seen = await on(c!, 'POST', '/v2/send/seen', { chatId: CONTACT, messageIds: [incoming.id] });
  assert.deepEqual([seen.status, seen.body?.messageIds], [200, [incoming.id]], seen.text);
  await eventually(() => {
    const kinds = sim.activity(CONTACT).map((e) => (e.kind === 'presence' ? e.state : e.kind));
    return kinds.includes('composing') && kinds.includes('paused') && kinds.includes('receipt') ? true : undefined;
  }, 'typing and read receipt at the contact');
  for (const [n, text] of [
    [b!, 'through node B'],
    [c!, 'through node C'],
  ] as const) {
    const sent = await on(n, 'POST', '/v2/send/text', { chatId: CONTACT, message: text });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.body.body, text);
  }
  await eventually(() => (sim.receivedMessages(CONTACT).length >= 2 ? true : undefined), 'both texts at the contact');
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(
    sim.receivedMessages(CONTACT).map((m) => m.text),
    ['through node B', 'through node C'],
    'each delivered once, in order',
  );

  // A call that claims to come from another node and does not verify is refused before authentication and its
  // handler: the stop never happens. A correctly signed one is served.
  const stopPath = `/v2/session/stop?${q}`;
  const secret = clusterSecret(CLUSTER_MASTER_KEY);
  const forged = {
    unsigned: { 'x-switchboard-forward-node': 'fw-b' },
    malformed: { ...signForward(secret, { method: 'POST', url: stopPath, body: Buffer.alloc(0) }, 'fw-b') },
    bad_signature: signForward(Buffer.alloc(32, 1), { method: 'POST', url: stopPath, body: Buffer.alloc(0) }, 'fw-b'),
    expired: signForward(secret, { method: 'POST', url: stopPath, body: Buffer.alloc(0) }, 'fw-b', Date.now() - 60_000),
  };
  forged.malformed['x-switchboard-forward-signature'] = 'v1=zz';
  for (const [reason, headers] of Object.entries(forged)) {
    for (const n of [a!, b!]) {
      const r = await callNode(n, 'POST', stopPath, { token, headers });
      assert.equal(r.status, 403, `${reason} through ${n.id}`);
      assert.deepEqual([r.body.code, r.body.details], ['forward_refused', { reason }]);
    }
  }
  // The body is covered too: a signature made for another body does not verify.
  const otherBody = signForward(secret, { method: 'POST', url: stopPath, body: Buffer.from('{}') }, 'fw-b');
  const refused = await callNode(a!, 'POST', stopPath, { token, headers: otherBody });
  assert.equal(refused.body.details.reason, 'bad_signature');
  assert.equal((await on(a!, 'GET', '/v2/session/info')).body.status, 'WORKING', 'no forged stop reached a handler');
  const signedInfo = `/v2/session/info?${q}`;
  const good = signForward(secret, { method: 'GET', url: signedInfo, body: Buffer.alloc(0) }, 'fw-b');
  assert.equal((await callNode(a!, 'GET', signedInfo, { token, headers: good })).status, 200);
  // The tenant is still authenticated on the node that serves a forwarded call.
  const noTenant = await callNode(a!, 'GET', signedInfo, { token: 'wrong', headers: good });
  assert.equal(noTenant.status, 401);

  // stop through B (forwarded to A, which lets the lease go), start through C (C takes the free lease),
  // restart through A (forwarded to C): each answers as the owner would.
  const stopped = await on(b!, 'POST', '/v2/session/stop');
  assert.deepEqual([stopped.status, stopped.body.status], [200, 'STOPPED']);
  await eventually(async () => ((await holder(id)) === null ? true : undefined), 'lease released');
  const startedOnC = await on(c!, 'POST', '/v2/session/start');
  assert.equal(startedOnC.status, 200, `${startedOnC.text}\n${c!.log().slice(-3000)}`);
  assert.equal(await holder(id), 'fw-c');
  await working(a!);
  const restarted = await on(a!, 'POST', '/v2/session/restart');
  assert.equal(restarted.status, 200, restarted.text);
  assert.equal(await holder(id), 'fw-c');
  await working(b!);
  const meAfter = await Promise.all(all.map((n) => on(n, 'GET', '/v2/session/me')));
  for (const r of meAfter) assert.equal(r.text, meAfter[0]!.text);

  // kill -9 of the owner: the others never say WORKING until the takeover made it WORKING again.
  await killNode(c!);
  nodes.splice(nodes.indexOf(c!), 1);
  const lostInfo = await on(a!, 'GET', '/v2/session/info');
  assert.deepEqual([lostInfo.body.status, lostInfo.body.reason], ['STARTING', 'node_lost']);
  const lostMe = await on(b!, 'GET', '/v2/session/me');
  assert.deepEqual(
    [lostMe.status, lostMe.body.code, lostMe.body.details],
    [404, 'session_not_connected', { status: 'STARTING' }],
  );
  // A command meets the dead node's lease, still live for seconds: 503 with Retry-After, nothing done.
  const lostStop = await on(b!, 'POST', '/v2/session/stop');
  assert.deepEqual([lostStop.status, lostStop.body.code], [503, 'owner_unavailable'], lostStop.text);
  assert.ok(Number(lostStop.headers.get('retry-after')) > 0);
  // A text meanwhile is queued durably on the node that got it; the node that takes over sends it.
  const queued = await on(a!, 'POST', '/v2/send/text', { chatId: CONTACT, message: 'while the owner was lost' });
  assert.equal(queued.status, 201, queued.text);
  const seenStatuses = new Set<string>();
  await eventually(
    async () => {
      const answers = await Promise.all([a!, b!].map((n) => on(n, 'GET', '/v2/session/info')));
      for (const r of answers) seenStatuses.add(`${r.body.status}/${r.body.reason}`);
      return answers.every((r) => r.body.status === 'WORKING') ? true : undefined;
    },
    'WORKING again after the takeover',
    60_000,
  );
  for (const s of seenStatuses) assert.match(s, /^(STARTING\/node_lost|WORKING\/connected)$/, 'never a stale WORKING');
  await eventually(
    () => (sim.receivedMessages(CONTACT).length >= 3 ? true : undefined),
    'the text queued while the owner was lost',
    30_000,
  );
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(
    sim.receivedMessages(CONTACT).map((m) => m.text),
    ['through node B', 'through node C', 'while the owner was lost'],
    'once',
  );

  // logout through the node that does not hold it.
  const owner = await holder(id);
  const other = owner === 'fw-a' ? b! : a!;
  const logout = await on(other, 'POST', '/v2/session/logout');
  assert.equal(logout.status, 200, logout.text);
  await eventually(
    async () => ((await on(other, 'GET', '/v2/session/info')).body.status === 'SCAN_QR_CODE' ? true : undefined),
    'SCAN_QR_CODE after logout',
    30_000,
  );
});
