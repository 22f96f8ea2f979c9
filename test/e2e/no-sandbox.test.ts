import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway/index.ts';
import { openStore } from '../../src/store/index.ts';
import { bootstrapAdminToken } from '../../src/tenancy/index.ts';
import { ADMIN_TOKEN } from '../harness/gateway.ts';

test('without SWITCHBOARD_SANDBOX there is no simulator and no /sandbox route; QR routes answer 409 when STOPPED', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-nosandbox-'));
  const store = await openStore({ dataDir: dir });
  await bootstrapAdminToken(store, ADMIN_TOKEN);
  const config = { ...loadConfig({}, []), dataDir: dir, sandbox: false };
  const logger = pino({ level: 'silent' });
  const { app, sessions, close } = await createGateway({ config, store, masterKey: randomBytes(32), logger });
  t.after(async () => {
    await close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(sessions.sim, null);
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const health = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(health.json().sandbox, false);
  const phones = await app.inject({ method: 'GET', url: '/sandbox/phones', headers: admin });
  assert.equal(phones.statusCode, 404);

  const acc = await app.inject({ method: 'POST', url: '/admin/accounts', headers: admin, payload: { name: 'x' } });
  const token = acc.json().access_token;
  const created = await app.inject({ method: 'POST', url: `/v2/session/create?access_token=${token}` });
  const q = `access_token=${token}&instance_id=${created.json().instance_id}`;
  for (const url of ['/v2/auth/qr', '/v2/auth/qr-image']) {
    const res = await app.inject({ method: 'GET', url: `${url}?${q}` });
    assert.equal(res.statusCode, 409, url);
    assert.equal(res.json().details.status, 'STOPPED');
    assert.equal(res.headers['cache-control'], 'no-store');
  }
  const code = await app.inject({
    method: 'POST',
    url: `/v2/auth/request-code?${q}`,
    payload: { phone_number: '201012345678' },
  });
  assert.equal(code.statusCode, 409);
  const bad = await app.inject({
    method: 'POST',
    url: `/v2/auth/request-code?${q}`,
    payload: { phone_number: '20-10' },
  });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().details.parameter, 'phone_number');
  // stop on a STOPPED instance is accepted and idempotent
  const stop = await app.inject({ method: 'POST', url: `/v2/session/stop?${q}` });
  assert.deepEqual(stop.json(), {
    instance_id: created.json().instance_id,
    name: created.json().session_name,
    status: 'STOPPED',
    config: { webhooks: {}, proxy: null },
  });
  const xml = await app.inject({ method: 'GET', url: `/v2/session/stop?${q}`, headers: { accept: 'application/xml' } });
  assert.match(xml.body, /<session>.*<status>STOPPED<\/status>.*<\/session>/s);
});
