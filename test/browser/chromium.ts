import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium for the browser tests. When it is missing, a root user on Debian gets it installed here (as
 * .ci/run does); anyone else gets one line saying how. Never a skip: a dashboard test that did not run is not green.
 */

export const CHROMIUM = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && existsSync('/etc/debian_version')) {
    // Test files run in parallel and each may get here: one install at a time (apt's lock would fail the others), and
    // whoever waited finds it installed.
    const install = 'test -x "$1" || (apt-get update && apt-get install -y chromium)';
    execFileSync('flock', ['/tmp/switchboard-chromium-install.lock', 'sh', '-c', install, 'sh', CHROMIUM], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
    if (existsSync(CHROMIUM)) return CHROMIUM;
  }
  throw new Error(
    `Chromium is missing at ${CHROMIUM}: install it with "sudo apt-get install -y chromium" (Debian) or set SWITCHBOARD_CHROMIUM to a Chromium binary.`,
  );
}

export interface LaunchedBrowser {
  /** One persistent context on a fresh profile; each page has its own sessionStorage, like a browser tab. */
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless, no sandbox (containers run as root), no network chatter beyond the page's own origin, fresh profile. */
export async function launchChromium(): Promise<LaunchedBrowser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
