import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { freePort } from '../harness/gateway.ts';

/**
 * The real gateway process (`node bin/switchboard.mjs`, sandbox, SQLite) is SIGKILLed while webhooks are in flight,
 * then restarted on the same data dir: every event in the outbox must reach the receiver with a 200 at least once
 * (duplicates allowed), checked by count and by id against the outbox read directly afterwards.
 */

const ADMIN_TOKEN = 'kill9-admin-token-0123456789abcdef';

interface Running {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
}

async function startGateway(dataDir: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['bin/switchboard.mjs', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN,
      SWITCHBOARD_SANDBOX: '1',
      SWITCHBOARD_WEBHOOK_ALLOW_PRIVATE: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${err}`);
    if (Date.now() > deadline) throw new Error(`gateway did not start: ${err}`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { child, url, exit };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function waitFor(what: () => boolean | Promise<boolean>, label: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let dir: string;
const children: ChildProcess[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-kill9-'));
});
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('kill -9 mid-delivery loses no event: all outbox ids arrive after a restart', async () => {
  // Receiver: holds every request 400 ms before answering 200, so deliveries queue up and are in flight at the kill.
  const okIds = new Set<string>();
  let inFlight = 0;
  let requests = 0;
  const held = new Set<ServerResponse>();
  const receiver = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests++;
      inFlight++;
      held.add(res);
      setTimeout(() => {
        held.delete(res);
        inFlight--;
        if (res.destroyed) return;
        res.end('ok', () => okIds.add(JSON.parse(body).id));
      }, 400);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  try {
    let gw = await startGateway(dir);
    children.push(gw.child);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const account = await call(gw.url, 'POST', '/admin/accounts', { name: 'kill9', max_instances: 20 }, admin);
    const token = account.body.access_token as string;
    const hook = await call(gw.url, 'POST', `/v2/account/webhook?access_token=${token}`, {
      webhooks: [{ url: hookUrl }],
    });
    assert.equal(hook.status, 200);

    // Real events: sandbox sessions started (STARTING → SCAN_QR_CODE) and stopped (STOPPED), several rounds.
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await call(gw.url, 'POST', `/v2/session/create?access_token=${token}`, { name: `k${i}` });
      ids.push(created.body.instance_id);
    }
    const q = (id: string) => `?access_token=${token}&instance_id=${id}`;
    for (let round = 0; round < 2; round++) {
      for (const id of ids) assert.equal((await call(gw.url, 'POST', `/v2/session/start${q(id)}`)).status, 200);
      for (const id of ids) {
        await waitFor(
          async () => (await call(gw.url, 'GET', `/v2/session/info${q(id)}`)).body.status === 'SCAN_QR_CODE',
          `${id} QR`,
        );
      }
      for (const id of ids) assert.equal((await call(gw.url, 'POST', `/v2/session/stop${q(id)}`)).status, 200);
    }
    // And a burst right before the kill: restarted sessions, queued behind whatever is in flight.
    for (const id of ids) assert.equal((await call(gw.url, 'POST', `/v2/session/start${q(id)}`)).status, 200);

    // Kill while a delivery is in flight and work is still queued.
    await waitFor(() => inFlight > 0 && requests >= 3, `a delivery in flight (requests so far: ${requests})`);
    const killedWithOk = okIds.size;
    gw.child.kill('SIGKILL');
    await gw.exit;
    for (const res of held) res.destroy();
    const pendingAtKill = await (async () => {
      const store = await openStore({ dataDir: dir });
      try {
        const events = await store.listEvents({ afterSeq: 0, limit: 10_000 });
        return events.filter((e) => !okIds.has(e.id)).length;
      } finally {
        await store.close();
      }
    })();
    assert.ok(pendingAtKill > 0, `the kill left undelivered events (delivered before: ${killedWithOk})`);

    // Restart on the same data dir: the outbox is still there; so are the sessions that were running.
    gw = await startGateway(dir);
    children.push(gw.child);
    // Boot restore brings the sessions back (more events); let it settle so no event is appended after the check.
    for (const id of ids) {
      await waitFor(
        async () => (await call(gw.url, 'GET', `/v2/session/info${q(id)}`)).body.status === 'SCAN_QR_CODE',
        `${id} restored`,
      );
    }
    await waitFor(
      async () => {
        const undone = await Promise.all(
          ['pending', 'failed'].map(
            async (s) =>
              (await call(gw.url, 'GET', `/v2/webhooks/deliveries?access_token=${token}&status=${s}`)).body.length,
          ),
        );
        return undone[0] === 0 && undone[1] === 0 && inFlight === 0;
      },
      'every delivery done',
      120_000,
    );
    gw.child.kill('SIGTERM');
    assert.equal(await gw.exit, 0);

    const store = await openStore({ dataDir: dir });
    try {
      const events = await store.listEvents({ afterSeq: 0, limit: 10_000 });
      assert.ok(events.length >= 4 * 5, `enough events to mean something (${events.length})`);
      const missing = events.filter((e) => !okIds.has(e.id)).map((e) => `${e.id} ${e.event}`);
      assert.deepEqual(missing, [], 'every event arrived with a 200');
      assert.equal(
        new Set(events.map((e) => e.id)).size,
        okIds.size,
        'count: the receiver got exactly the outbox’s ids',
      );
      const dead = (await store.webhooks.listDeliveries({ accountId: events[0]!.accountId, status: 'dead', limit: 10 }))
        .length;
      assert.equal(dead, 0);
    } finally {
      await store.close();
    }
  } finally {
    for (const res of held) res.destroy();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  }
});
