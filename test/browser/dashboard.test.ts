import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_TOKEN, newPhone, startGateway, type Gateway } from '../harness/gateway.ts';
import { launchChromium, type LaunchedBrowser } from './chromium.ts';
import { ARTIFACTS, assertAccessible, live, region, screenshot, signIn, trackedPage } from './helpers.ts';

/**
 * The dashboard in Debian's Chromium against a real sandbox gateway (real Baileys, the embedded simulator, SQLite):
 * every step goes through the page as a user would, and checks what the page shows.
 */

let gw: Gateway;
let browser: LaunchedBrowser;
let page: Page;
let account: { id: string; access_token: string };
let instanceId = '';
let pairingId = '';
let pairingPhone = '';
const problems: string[] = [];

const hooks: { eventId: string; body: string }[] = [];
let receiver: Server;
let receiverUrl = '';

const newPage = (): Promise<Page> => trackedPage(browser.context, problems);
const status = (p: Page) => p.locator('#instance-status .badge');

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hooks.push({ eventId: String(req.headers['x-switchboard-event-id']), body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const addr = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`;
  gw = await startGateway({ config: { webhookAllowPrivate: true } });
  const created = await gw.admin('POST', '/admin/accounts', { name: 'Acme', max_instances: 20 });
  account = created.body;
  browser = await launchChromium();
  page = await newPage();
});

after(async () => {
  await browser?.close();
  await gw?.close();
  await new Promise((r) => receiver?.close(r));
});

describe('dashboard in Chromium', () => {
  test('first load: sign-in page, its weight and time to first render; accessible', async () => {
    const sizes: Promise<number>[] = [];
    const onResponse = (res: import('playwright-core').Response) => {
      if (res.url().startsWith(gw.url))
        sizes.push(
          res
            .request()
            .sizes()
            .then((s) => s.responseBodySize + s.responseHeadersSize),
        );
    };
    page.on('response', onResponse);
    await page.goto(`${gw.url}/dashboard`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.waitForLoadState('networkidle');
    page.off('response', onResponse);
    const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    const timing = await page.evaluate(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
      const view = performance.getEntriesByName('switchboard:view')[0]?.startTime ?? null;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return {
        firstContentfulPaintMs: fcp,
        firstViewRenderedMs: view,
        domContentLoadedMs: nav.domContentLoadedEventEnd,
        loadMs: nav.loadEventEnd,
      };
    });
    const metrics = { requests: sizes.length, bytesTransferred: bytes, ...timing };
    writeFileSync(join(ARTIFACTS, 'dashboard-first-load.json'), `${JSON.stringify(metrics, null, 2)}\n`);
    assert.ok(bytes > 0 && timing.firstViewRenderedMs !== null);
    await assertAccessible(page, 'sign-in');
    await screenshot(page, 'signin');
  });

  test('a wrong token shows the API message and keeps the form', async () => {
    await page.getByLabel('Token', { exact: true }).fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Unauthorized - Invalid or Missing Access Token' }).waitFor();
    assert.equal(await page.getByLabel('Token', { exact: true }).inputValue(), 'not-a-token');
  });

  test('sign in with an account token; the token is in sessionStorage, not in any URL', async () => {
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await signIn(page, gw.url, account.access_token);
    await page.getByRole('heading', { name: 'Instances', exact: true }).waitFor();
    await live(page);
    assert.match(
      await page.evaluate(() => sessionStorage.getItem('switchboard.dashboard') ?? ''),
      new RegExp(account.access_token),
    );
    assert.equal(urls.filter((u) => u.includes(account.access_token)).length, 0);
  });

  test('link an instance through the sandbox panel: "Connected as John Doe" appears live', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Sales desk');
    await page.getByRole('button', { name: 'Create instance' }).click();
    await page.getByRole('heading', { name: 'Sales desk', exact: true }).waitFor();
    instanceId = page.url().split('/').pop()!;
    await page.evaluate(() => ((window as any).__sameDocument = true));
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await region(page, 'Link a phone').getByRole('img').waitFor();
    await page.getByText(/expires in \d+ s/).waitFor();
    // The sandbox panel asks for the admin token once (an account token cannot reach /sandbox/*).
    const sandbox = region(page, 'Simulated phone (sandbox)');
    await sandbox.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await sandbox.getByRole('button', { name: 'Use admin token' }).click();
    await screenshot(page, 'instance-qr', { fullPage: false });
    await assertAccessible(page, 'instance (QR)');
    await sandbox.getByLabel('Phone number').first().fill('+20 101 234 5678');
    await sandbox.getByLabel('Name on the phone').fill('John Doe');
    await sandbox.getByRole('button', { name: 'Scan the QR code with this phone' }).click();
    await page.getByText('Connected as John Doe').waitFor();
    assert.equal(await status(page).textContent(), 'WORKING');
    const identity = region(page, 'Identity');
    await identity.getByText('+20 101 234 5678').waitFor();
    await identity.getByText(/@lid$/).waitFor();
    await identity.getByText('android', { exact: true }).waitFor();
    await identity.getByText('"displayName": "John Doe"').waitFor();
    assert.equal(await page.evaluate(() => (window as any).__sameDocument), true, 'no reload');
    await screenshot(page, 'instance');
    await assertAccessible(page, 'instance (WORKING)');
  });

  test('rename the phone in the sandbox panel: the name changes live', async () => {
    const sandbox = region(page, 'Simulated phone (sandbox)');
    const rename = sandbox.locator('form').filter({ has: page.getByRole('button', { name: 'Rename' }) });
    assert.equal(await rename.getByLabel('Phone number').inputValue(), '+20 101 234 5678');
    await rename.getByLabel('New name').fill('John Renamed');
    await rename.getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Connected as John Renamed').waitFor();
  });

  test('the /me answer can be copied', async () => {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    await page.getByRole('button', { name: 'Copy /me answer' }).click();
    await page.getByText('Copied').waitFor();
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
    assert.equal(copied.displayName, 'John Renamed');
  });

  test('signature preview and a test text', async () => {
    const send = region(page, 'Send a test text');
    await send.getByLabel('To (phone number)').fill('+20 123 456 7890');
    await send.getByLabel('Message').fill('Your ticket is solved.');
    await send.getByLabel('Signature template').fill('\n-- Sent by {{pushName}}');
    await send.getByText('Your ticket is solved.\n-- Sent by John Renamed').waitFor();
    // A failed send shows the API's message and keeps what was typed.
    await send.getByLabel('To (phone number)').fill('group@g.us');
    await send.getByRole('button', { name: 'Send test text' }).click();
    await send.getByRole('alert').filter({ hasText: 'Bad Request - Invalid Parameter' }).waitFor();
    assert.equal(await send.getByLabel('Message').inputValue(), 'Your ticket is solved.');
    await send.getByLabel('To (phone number)').fill('+20 123 456 7890');
    await send.getByRole('button', { name: 'Send test text' }).click();
    await send.getByText('Sent (PENDING): “Your ticket is solved.\n-- Sent by John Renamed”').waitFor();
  });

  test('a contact sends a text from the sandbox panel; it shows up as received', async () => {
    const sandbox = region(page, 'Simulated phone (sandbox)');
    await sandbox.getByLabel('Text').fill('Hi from a contact');
    await sandbox.getByRole('button', { name: 'Send from contact' }).click();
    await region(page, 'Send a test text').getByText('Hi from a contact').waitFor();
  });

  test('stop (with confirmation) shows the last-known identity; start reconnects', async () => {
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await status(page).textContent(), 'WORKING');
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await dialog.getByRole('button', { name: 'Stop' }).click();
    await status(page).filter({ hasText: 'STOPPED' }).waitFor();
    await page.getByText('Last known:').waitFor();
    await region(page, 'History').getByText('stop_requested').waitFor();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByText('Connected as John Renamed').waitFor();
  });

  test('webhooks: add, deliveries with attempts, redeliver sends the same event again', async () => {
    const hooksPanel = region(page, 'Webhooks');
    await hooksPanel.getByLabel('Webhook URL').fill(receiverUrl);
    await hooksPanel.getByRole('button', { name: 'Add webhook' }).click();
    await hooksPanel.getByText('Signing secret').waitFor();
    // An event to deliver: restart the instance.
    await page.getByRole('button', { name: 'Restart', exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Restart' }).click();
    const delivered = hooksPanel.locator('tr[data-status="delivered"]').first();
    await delivered.waitFor();
    await screenshot(page, 'instance-webhooks');
    const button = delivered.getByRole('button', { name: 'Redeliver' });
    const deliveryId = await button.getAttribute('data-delivery');
    const before = hooks.length;
    const row = await gw.call('GET', '/v2/webhooks/deliveries', {
      query: { access_token: account.access_token, instance_id: instanceId },
    });
    const eventId = row.body.find((d: any) => d.id === deliveryId).event_id;
    await button.click();
    await page.getByText(`Delivery ${deliveryId} queued again.`).waitFor();
    for (let i = 0; i < 100 && !hooks.slice(before).some((h) => h.eventId === eventId); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(hooks.filter((h) => h.eventId === eventId).length, 2, 'the receiver got the same event twice');
    // A redelivery is the same row queued again (attempts start over) and delivered again.
    await hooksPanel
      .locator(`tr[data-status="delivered"]:has(button[data-delivery="${deliveryId}"]) td.num`)
      .filter({ hasText: /^1$/ })
      .waitFor();
    await hooksPanel.getByRole('button', { name: 'Test' }).click();
    await page.getByText(/^Test: \d+ recent event\(s\) queued again/).waitFor();
    // Pause: the webhook is kept, inactive.
    await hooksPanel.getByRole('button', { name: 'Pause' }).click();
    await hooksPanel.getByRole('button', { name: 'Resume' }).waitFor();
  });

  test('wrong phone: the identity-mismatch alert', async () => {
    const created = await gw.call('POST', '/v2/session/create', {
      query: { access_token: account.access_token },
      body: { name: 'Front desk' },
    });
    await page.goto(`${gw.url}/dashboard#/instances/${created.body.instance_id}`);
    await page.getByRole('heading', { name: 'Front desk', exact: true }).waitFor();
    const settings = region(page, 'Settings');
    await settings.getByLabel('Expected phone').fill('+20 100 000 0001');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await region(page, 'Link a phone').getByRole('img').waitFor();
    const sandbox = region(page, 'Simulated phone (sandbox)');
    await sandbox.getByLabel('Phone number').first().fill(`+${newPhone()}`);
    await sandbox.getByRole('button', { name: 'Scan the QR code with this phone' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong phone' }).waitFor();
    await page.getByText('expects +20 100 000 0001').waitFor();
    assert.equal(await status(page).textContent(), 'STOPPED');
    await screenshot(page, 'instance-mismatch', { fullPage: false });
  });

  test('pair by code', async () => {
    const created = await gw.call('POST', '/v2/session/create', {
      query: { access_token: account.access_token },
      body: { name: 'Pairing' },
    });
    pairingId = created.body.instance_id;
    await page.goto(`${gw.url}/dashboard#/instances/${pairingId}`);
    await page.getByRole('heading', { name: 'Pairing', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const link = region(page, 'Link a phone');
    await link.getByRole('img').waitFor();
    const phone = newPhone();
    pairingPhone = phone;
    await link.getByLabel('Phone number').fill(`+${phone}`);
    await link.getByRole('button', { name: 'Get pairing code' }).click();
    const code = (await link.locator('.pair-code strong').textContent())!;
    assert.match(code, /^[A-Z0-9]{4}-?[A-Z0-9]{4}$/);
    const sandbox = region(page, 'Simulated phone (sandbox)');
    const enter = sandbox
      .locator('form')
      .filter({ has: page.getByRole('button', { name: 'Enter the code on this phone' }) });
    await enter.getByLabel('Pairing code').click();
    assert.equal(await enter.getByLabel('Pairing code').inputValue(), code);
    await enter.getByRole('button', { name: 'Enter the code on this phone' }).click();
    await page.getByText('Connected as John Doe').waitFor();
  });

  test('instances view: cards with identity, live updates of one card; readable at 375 px', async () => {
    await page.goto(`${gw.url}/dashboard#/instances`);
    const card = page.locator(`article.card[data-id="${instanceId}"]`);
    await card.getByText('Connected as John Renamed').waitFor();
    await card.getByText('+20 101 234 5678').waitFor();
    await page.locator('article.card[data-status="STOPPED"]').getByText('No phone linked').waitFor();
    await live(page);
    await gw.admin('PATCH', '/sandbox/phones/201012345678', { push_name: 'Global Sales Dept.' });
    await card.getByText('Connected as Global Sales Dept.').waitFor();
    await screenshot(page, 'instances');
    await assertAccessible(page, 'instances');
    await page.setViewportSize({ width: 375, height: 800 });
    assert.ok(
      await page.evaluate(() => document.documentElement.scrollWidth <= 375),
      'no horizontal scrolling at 375 px',
    );
    await screenshot(page, 'instances-375');
    await page.goto(`${gw.url}/dashboard#/instances/${instanceId}`);
    await page.getByText('Connected as Global Sales Dept.').waitFor();
    assert.ok(
      await page.evaluate(() => document.documentElement.scrollWidth <= 375),
      'instance page: no horizontal scrolling at 375 px',
    );
    await screenshot(page, 'instance-375');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('overview: WORKING by platform, counts by status, quota', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    const chart = page.getByRole('img', { name: /WORKING instances by platform/ });
    await chart.waitFor();
    assert.match(String(await chart.getAttribute('aria-label')), /Android: 2/);
    await page.locator('dd[data-status="WORKING"]').filter({ hasText: '2' }).waitFor();
    await page.locator('dd[data-status="STOPPED"]').filter({ hasText: '1' }).waitFor();
    await page.getByText('3 of 20 instances used').waitFor();
    await screenshot(page, 'overview');
    await assertAccessible(page, 'overview');
  });

  test('unlink from the sandbox panel: the instance sees its device removed', async () => {
    await page.getByRole('link', { name: 'Instances' }).click();
    await page.getByRole('link', { name: 'Pairing' }).click();
    await page.getByText('Connected as John Doe').waitFor();
    const unlink = region(page, 'Simulated phone (sandbox)')
      .locator('form')
      .filter({ has: page.getByRole('button', { name: 'Unlink device' }) });
    assert.equal((await unlink.getByLabel('Phone number').inputValue()).replace(/\D/g, ''), pairingPhone);
    await unlink.getByRole('button', { name: 'Unlink device' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Unlink' }).click();
    await status(page).filter({ hasText: 'FAILED' }).waitFor();
    await page.locator('#instance-status .reason').filter({ hasText: 'device_removed' }).waitFor();
    await page.getByText('No phone linked').waitFor();
    assert.ok(pairingId);
  });

  test('sign out forgets the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  test('admin: accounts with quotas, a new token shown once, open as that account', async () => {
    await signIn(page, gw.url, ADMIN_TOKEN, 'admin');
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByRole('cell', { name: 'Acme' }).waitFor();
    await page.getByLabel('Account name').fill('Globex');
    await page.getByLabel('Max instances').fill('3');
    await page.getByRole('button', { name: 'Create account' }).click();
    const token = page.getByRole('textbox', { name: 'Access token for Globex' });
    await token.waitFor();
    assert.match(await token.inputValue(), /\S{20,}/);
    await page.getByRole('cell', { name: 'Globex' }).waitFor();
    await screenshot(page, 'admin');
    await assertAccessible(page, 'admin');
    await page.getByRole('button', { name: 'Open the dashboard as Globex' }).click();
    await page.getByRole('heading', { name: 'Instances', exact: true }).waitFor();
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByText('0 of 3 instances used').waitFor();
  });

  test('a revoked token signs the page out', async () => {
    const issued = await gw.admin('POST', `/admin/accounts/${account.id}/tokens`);
    const other = await newPage();
    await signIn(other, gw.url, issued.body.access_token);
    await other.getByRole('heading', { name: 'Instances', exact: true }).waitFor();
    await live(other);
    assert.equal((await gw.admin('DELETE', `/admin/tokens/${issued.body.token_id}`)).status, 204);
    await other.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 15_000 });
    await other.getByText(/signed out/).waitFor();
    assert.equal(await other.evaluate(() => sessionStorage.length), 0);
    await other.close();
  });

  test('no CSP violation and no script error on any page', () => {
    assert.deepEqual(problems, []);
  });
});
