import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startGateway, type Gateway } from '../harness/gateway.ts';
import { launchChromium, type LaunchedBrowser } from './chromium.ts';
import { ARTIFACTS, live, region, signIn, trackedPage } from './helpers.ts';

/**
 * What the dashboard does over time, in Chromium against a sandbox gateway whose QR codes live 2 s: the QR image
 * follows WhatsApp's rotation, and a list of 200 instances stays one card each with live updates of single cards.
 */

let gw: Gateway;
let browser: LaunchedBrowser;
const problems: string[] = [];
const newPage = (): Promise<Page> => trackedPage(browser.context, problems);

before(async () => {
  gw = await startGateway({ qrTimeoutMs: 2000 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await gw?.close();
});

describe('dashboard over time', () => {
  test('the QR image is replaced as WhatsApp rotates it, without a reload', async () => {
    const inst = await gw.newInstance('Rotating');
    const p = await newPage();
    await signIn(p, gw.url, inst.token);
    await p.getByRole('heading', { name: 'Instances', exact: true }).waitFor();
    await p.goto(`${gw.url}/dashboard#/instances/${inst.id}`);
    await p.getByRole('heading', { name: 'Rotating', exact: true }).waitFor();
    await p.getByRole('button', { name: 'Start', exact: true }).click();
    const img = region(p, 'Link a phone').getByRole('img');
    await img.waitFor();
    const first = await img.getAttribute('data-qr');
    const src = await img.getAttribute('src');
    assert.match(String(src), /^blob:/);
    await p.locator(`img.qr:not([data-qr="${first}"])`).waitFor();
    assert.notEqual(await img.getAttribute('src'), src);
    await p.close();
  });
  test('200 instances: one card each, and a live event updates its card', async () => {
    const fleet = (await gw.admin('POST', '/admin/accounts', { name: 'Fleet', max_instances: 250 })).body;
    const ids: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) =>
          gw.call('POST', '/v2/session/create', {
            query: { access_token: fleet.access_token },
            body: { name: `Desk ${i + j + 1}` },
          }),
        ),
      );
      ids.push(...batch.map((r) => r.body.instance_id as string));
    }
    const p = await newPage();
    await signIn(p, gw.url, fleet.access_token);
    await p.getByText('200 instances').waitFor();
    assert.equal(await p.locator('article.card').count(), 200);
    // Informative (not asserted): a fresh load of the list with 200 cards, from navigation start to cards in the DOM.
    await p.reload();
    await p.getByText('200 instances').waitFor();
    const rendered = await p.evaluate(
      () => performance.getEntriesByName('switchboard:instances-rendered')[0]?.startTime ?? null,
    );
    writeFileSync(
      join(ARTIFACTS, 'dashboard-200-instances.json'),
      `${JSON.stringify({ instances: 200, cardsRenderedMs: rendered }, null, 2)}\n`,
    );
    await live(p);
    const target = ids[150]!;
    await gw.call('POST', '/v2/session/start', { query: { access_token: fleet.access_token, instance_id: target } });
    await p.locator(`article.card[data-id="${target}"][data-status="SCAN_QR_CODE"]`).waitFor();
    assert.equal(await p.locator('article.card[data-status="SCAN_QR_CODE"]').count(), 1);
    await p.getByLabel('Filter').fill('Desk 151');
    assert.deepEqual(await p.locator('article.card:visible h3').allTextContents(), ['Desk 151']);
    await gw.call('POST', '/v2/session/stop', { query: { access_token: fleet.access_token, instance_id: target } });
    await p.close();
  });

  test('no CSP violation and no script error', () => {
    assert.deepEqual(problems, []);
  });
});
