import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startGateway, type Gateway, type Instance } from '../harness/gateway.ts';
import { openStore } from '../../src/store/index.ts';
import { hashToken } from '../../src/tenancy/index.ts';

/**
 * Live streams end when their principal does (security issue 14, point 3): a revoked token, a deleted account, a
 * deleted instance (for a stream narrowed to it). SSE gets a last `event: error` with the usual error body plus
 * `reason`; WebSocket a close code 4401/4404 with the reason. Plus the per-account stream limit and the replay window.
 */

interface SseStream {
  /** Resolves with the `event: error` data when the server ends the stream (null if it ended without one). */
  ended: Promise<{ reason: string; status: number; code: string; request_id: string } | null>;
  close(): void;
}

async function sse(gw: Gateway, token: string, query = ''): Promise<SseStream> {
  const controller = new AbortController();
  const res = await fetch(`${gw.url}/v2/events/sse?access_token=${token}${query}`, { signal: controller.signal });
  assert.equal(res.status, 200, await (res.status === 200 ? '' : res.text()));
  const ended = (async () => {
    let text = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body!) text += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch {
      return null; // aborted by us
    }
    const block = /event: error\ndata: (.*)\n\n$/.exec(text);
    return block ? JSON.parse(block[1]!) : null;
  })();
  return { ended, close: () => controller.abort() };
}

interface WsStream {
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

async function ws(gw: Gateway, query: string): Promise<WsStream> {
  const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/v2/events/ws?${query}`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
    socket.once('error', reject);
  });
  return { closed, close: () => socket.close() };
}

const principal = async (gw: Gateway, token: string) => (await gw.store.findTokenByHash(hashToken(token)))!;
const stillOpen = <T>(p: Promise<T>) =>
  Promise.race([p.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 300))]);

let gw: Gateway;
before(async () => {
  gw = await startGateway({ config: { maxStreamsPerAccount: 4 } });
});
after(() => gw.close());

test('revoking a token ends its SSE and WebSocket streams (401 body + reason token_revoked, close 4401); another token of the account keeps streaming', async () => {
  const inst = await gw.newInstance('revoke');
  const { token, account } = await principal(gw, inst.token);
  const second = await gw.admin('POST', `/admin/accounts/${account.id}/tokens`);
  const survivor = await sse(gw, second.body.access_token);
  const s = await sse(gw, inst.token);
  const w = await ws(gw, `access_token=${inst.token}`);
  assert.equal((await gw.admin('DELETE', `/admin/tokens/${token.id}`)).status, 204);

  const last = await s.ended;
  assert.deepEqual(
    { ...last, request_id: undefined },
    {
      status: 401,
      code: 'invalid_access_token',
      message: 'Unauthorized - Invalid or Missing Access Token',
      reason: 'token_revoked',
      request_id: undefined,
    },
  );
  assert.match(last!.request_id, /\S/);
  assert.deepEqual(await w.closed, { code: 4401, reason: 'token_revoked' });
  assert.equal(await stillOpen(survivor.ended), true, 'the other token is untouched');
  survivor.close();
});

test('a revoke written by another connection (the offline CLI) is noticed by the poll and ends the streams too', async () => {
  const inst = await gw.newInstance('cli-revoke');
  const { token } = await principal(gw, inst.token);
  const s = await sse(gw, inst.token);
  const w = await ws(gw, `access_token=${inst.token}`);
  const cli = await openStore({ dataDir: gw.dir });
  try {
    assert.equal(await cli.revokeToken(token.id), true);
  } finally {
    await cli.close();
  }
  assert.equal((await s.ended)?.reason, 'token_revoked');
  assert.deepEqual(await w.closed, { code: 4401, reason: 'token_revoked' });
});

test('deleting an instance ends the streams narrowed to it (404 + instance_deleted, close 4404), not the account-wide ones', async () => {
  const inst: Instance = await gw.newInstance('doomed');
  const narrowed = await sse(gw, inst.token, `&instance_id=${inst.id}`);
  const narrowedWs = await ws(gw, `access_token=${inst.token}&instance_id=${inst.id}`);
  const wide = await sse(gw, inst.token);
  assert.equal((await inst.call('DELETE', '/v2/session/delete')).status < 300, true);
  const last = await narrowed.ended;
  assert.deepEqual([last?.status, last?.code, last?.reason], [404, 'invalid_instance', 'instance_deleted']);
  assert.deepEqual(await narrowedWs.closed, { code: 4404, reason: 'instance_deleted' });
  assert.equal(await stillOpen(wide.ended), true);
  wide.close();
});

test('deleting an account ends all its streams (401 + account_deleted, close 4401) and its instances', async () => {
  const inst = await gw.newInstance('gone');
  const { account } = await principal(gw, inst.token);
  const s = await sse(gw, inst.token);
  const narrowed = await ws(gw, `access_token=${inst.token}&instance_id=${inst.id}`);
  assert.equal((await gw.admin('DELETE', `/admin/accounts/${account.id}`)).status, 204);
  assert.equal((await s.ended)?.reason, 'account_deleted');
  assert.deepEqual(await narrowed.closed, { code: 4401, reason: 'account_deleted' });
  assert.equal(await gw.store.getInstance(inst.id), null);
  assert.equal((await inst.call('GET', '/v2/session/info')).status, 401);
  assert.equal((await gw.admin('DELETE', `/admin/accounts/${account.id}`)).status, 404);
});

test('per-account stream limit (SWITCHBOARD_MAX_STREAMS_PER_ACCOUNT): the next SSE or WebSocket is 429; closing one frees a place', async () => {
  const inst = await gw.newInstance('greedy');
  const open = [
    await sse(gw, inst.token),
    await sse(gw, inst.token),
    await sse(gw, inst.token),
    await ws(gw, `access_token=${inst.token}`),
  ];
  const refused = await fetch(`${gw.url}/v2/events/sse?access_token=${inst.token}`);
  assert.equal(refused.status, 429);
  const body = await refused.json();
  assert.deepEqual([body.code, body.details.limit], ['too_many_requests', 4]);
  await assert.rejects(ws(gw, `access_token=${inst.token}`), /handshake answered 429/);
  const other = await gw.newInstance('modest');
  const unaffected = await sse(gw, other.token);
  unaffected.close();
  open[0]!.close();
  for (let i = 0; ; i++) {
    const again = await fetch(`${gw.url}/v2/events/sse?access_token=${inst.token}`, {
      signal: AbortSignal.timeout(2000),
    }).catch(() => null);
    if (again?.status === 200) {
      await again.body?.cancel();
      break;
    }
    await again?.body?.cancel();
    assert.ok(i < 50, 'a place was freed');
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const c of open) c.close();
});

test('a Last-Event-ID whose replay would reach past the replay window is refused with 400, not replayed', async () => {
  const narrow = await startGateway({ config: { streamReplayWindowMs: 1 } });
  try {
    const inst = await narrow.newInstance('old');
    assert.equal((await inst.call('POST', '/v2/session/start')).status, 200);
    await inst.waitStatus('SCAN_QR_CODE');
    await new Promise((r) => setTimeout(r, 5));
    const refused = await fetch(`${narrow.url}/v2/events/sse?access_token=${inst.token}`, {
      headers: { 'last-event-id': '0' },
    });
    assert.equal(refused.status, 400);
    const body = await refused.json();
    assert.deepEqual(
      [body.code, body.details.parameter, body.details.replay_window_seconds],
      ['invalid_parameter', 'last_event_id', 0],
    );
    assert.match(body.details.problem, /older than the replay window/);
    await assert.rejects(ws(narrow, `access_token=${inst.token}&last_event_id=0`), /handshake answered 400/);
    // Resuming from the newest event replays nothing old: accepted.
    const [newest] = (await narrow.store.listEvents({ afterSeq: 0, limit: 1000 })).slice(-1);
    const fresh = await sse(narrow, inst.token, `&last_event_id=${newest!.seq}`);
    fresh.close();
  } finally {
    await narrow.close();
  }
});
