import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';

/** Screenshots and measurements of a run (gitignored); the README's pictures are copied from here. */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const AXE = readFileSync(join(process.cwd(), 'node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is now and fails on serious or critical violations. The page's CSP allows only
 * its own scripts, so axe is injected through page.addScriptTag on a page route that serves it from the origin.
 */
export async function assertAccessible(page: Page, view: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ url: '/dashboard/__test/axe.min.js' });
  }
  const result = await page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: any) => n.target.join(' ')).slice(0, 5),
    }));
  });
  const bad = result.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${view}: accessibility violations\n${JSON.stringify(bad, null, 2)}`);
}

/** Serves axe-core under the page's origin for this page only (playwright's request routing; the server never sees it). */
export async function allowAxe(page: Page): Promise<void> {
  await page.route('**/dashboard/__test/axe.min.js', (route) =>
    route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: AXE }),
  );
}

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  if (opts.fullPage === false) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: opts.fullPage ?? true });
}

/** A section of the page by its heading (sections are labelled by their h2). */
export const region = (page: Page, name: string): Locator => page.getByRole('region', { name, exact: true });

export async function signIn(
  page: Page,
  url: string,
  token: string,
  kind: 'account' | 'admin' = 'account',
): Promise<void> {
  await page.goto(`${url}/dashboard`);
  if (kind === 'admin') await page.getByRole('radio', { name: 'Admin token' }).check();
  await page.getByLabel('Token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * A new tab (its own sessionStorage) that may load axe-core and records CSP violations and script errors into
 * `problems`, which a test asserts empty at the end.
 */
export async function trackedPage(context: BrowserContext, problems: string[]): Promise<Page> {
  const p = await context.newPage();
  p.setDefaultTimeout(15_000);
  await allowAxe(p);
  p.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`script error: ${e.message}`));
  return p;
}

/** The page's live stream is connected (so an event that happens next reaches it). */
export const live = (p: Page): Promise<void> => p.locator('body[data-live="on"]').waitFor();
