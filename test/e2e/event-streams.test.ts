import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newPhone, startGateway, type Gateway, type Instance } from '../harness/gateway.ts';
import { sse, ws, type Client, type Seen } from '../harness/stream-clients.ts';

/**
 * WebSocket and SSE clients watching a sandbox session's lifecycle through the whole gateway (real HTTP, Baileys engine,
 * embedded simulator): create → start → SCAN_QR_CODE → scan → WORKING, then resuming with Last-Event-ID.
 */

const statuses = (seen: Seen[]) => seen.filter((s) => s.event === 'session.status').map((s) => s.payload.status);
const increasing = (seen: Seen[]) => seen.every((s, i) => i === 0 || s.seq > seen[i - 1]!.seq);

let gw: Gateway;
let inst: Instance;
before(async () => {
  gw = await startGateway();
  inst = await gw.newInstance('streams');
});
after(() => gw.close());

describe('live event streams', () => {
  test('WebSocket and SSE follow create → start → SCAN_QR_CODE → WORKING; other accounts see nothing; resume by Last-Event-ID', async () => {
    const other = await gw.newInstance('other');
    const sseClient = await sse(gw, inst.token);
    const wsClient = await ws(gw, `access_token=${inst.token}`);
    const outsider = await sse(gw, other.token);
    const clients = [sseClient, wsClient];
    try {
      assert.equal((await inst.call('POST', '/v2/session/start')).status, 200);
      const qr = await inst.qr();
      for (const c of clients) await c.until((s) => statuses(s).includes('SCAN_QR_CODE'));
      const scan = await gw.admin('POST', '/sandbox/scan', {
        qr,
        phone: newPhone(),
        push_name: 'Stream Tester',
        platform: 'android',
      });
      assert.equal(scan.status, 200, String(scan.raw));
      for (const c of clients) await c.until((s) => statuses(s).includes('WORKING'));

      for (const c of clients) {
        assert.deepEqual(statuses(c.seen), ['STARTING', 'SCAN_QR_CODE', 'WORKING']);
        assert.ok(
          c.seen.some((s) => s.event === 'session.identity'),
          'identity announced',
        );
        assert.ok(c.seen.every((s) => s.instance_id === inst.id));
        assert.ok(increasing(c.seen));
      }
      // The transports deliver independently (the push name's identity event may reach one first): compare once
      // each has caught up with the other.
      const seqs = (c: Client): string => c.seen.map((s) => s.seq).join(',');
      await wsClient.until(() => seqs(wsClient) === seqs(sseClient));
      assert.deepEqual(sseClient.seen, wsClient.seen, 'same events, same seqs on both transports');
      assert.deepEqual(outsider.seen, [], 'another account sees none of it');

      // Resume after the first event: the rest comes from the outbox, then live events follow without a gap.
      const first = sseClient.seen[0]!;
      const resumedSse = await sse(gw, inst.token, { 'last-event-id': String(first.seq) });
      const resumedWs = await ws(gw, `access_token=${inst.token}&last_event_id=${first.seq}`);
      try {
        const rest = sseClient.seen.slice(1);
        for (const c of [resumedSse, resumedWs]) await c.until((s) => s.length >= rest.length);
        assert.deepEqual(resumedSse.seen, rest);
        assert.deepEqual(resumedWs.seen, rest);
        assert.equal((await inst.call('POST', '/v2/session/stop')).status, 200);
        for (const c of [resumedSse, resumedWs, sseClient]) await c.until((s) => statuses(s).at(-1) === 'STOPPED');
        for (const c of [resumedSse, resumedWs]) {
          assert.ok(increasing(c.seen), 'no repeats');
          assert.deepEqual(
            c.seen.slice(rest.length),
            sseClient.seen.slice(sseClient.seen.length - (c.seen.length - rest.length)),
          );
        }
      } finally {
        resumedSse.close();
        resumedWs.close();
      }
    } finally {
      for (const c of [...clients, outsider]) c.close();
    }
  });

  test('refusals: no token is 401 on both; a malformed Last-Event-ID is 400; a foreign instance filter is 404', async () => {
    const noToken = await fetch(`${gw.url}/v2/events/sse`);
    assert.equal(noToken.status, 401);
    assert.equal((await noToken.json()).code, 'invalid_access_token');
    await assert.rejects(ws(gw, 'access_token=wrong'), /handshake answered 401/);
    const bad = await fetch(`${gw.url}/v2/events/sse?access_token=${inst.token}`, {
      headers: { 'last-event-id': 'evt_x' },
    });
    assert.equal(bad.status, 400);
    assert.equal((await bad.json()).details.parameter, 'last_event_id');
    await assert.rejects(ws(gw, `access_token=${inst.token}&last_event_id=abc`), /handshake answered 400/);
    const other = await gw.newInstance('foreign');
    await assert.rejects(ws(gw, `access_token=${inst.token}&instance_id=${other.id}`), /handshake answered 404/);
    const plainGet = await fetch(`${gw.url}/v2/events/ws?access_token=${inst.token}`);
    assert.equal(plainGet.status, 400, 'a GET that is not an upgrade is told so');
  });
});
