import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startGatehouse, type Harness } from './harness';

/**
 * A real Gatehouse on a loopback port and Debian's Chromium driven by playwright-core (never a
 * downloaded browser). Screenshots of each step go to test-artifacts/<suite>/ (git-ignored).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** In CI (.ci/run installs it) Chromium is required: a missing browser fails, never skips. */
export const chromiumAvailable = () => Boolean(process.env.CI) || fs.existsSync(CHROMIUM);

export interface BrowserRig {
  h: Harness;
  baseUrl: string;
  browser: Browser;
  page: Page;
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowserRig(suite: string): Promise<BrowserRig> {
  // PUBLIC_URL must be the address the browser uses, so the port is chosen first.
  const probe = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const baseUrl = `http://127.0.0.1:${probe}`;
  const h = await startGatehouse({ PUBLIC_URL: baseUrl });
  const server: Server = await new Promise((resolve) => {
    const s = h.app.listen(probe, '127.0.0.1', () => resolve(s));
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const dir = path.join(__dirname, '..', '..', 'test-artifacts', suite);
  fs.mkdirSync(dir, { recursive: true });
  let step = 0;
  return {
    h, baseUrl, browser, page,
    async shot(name) {
      step += 1;
      await page.screenshot({ path: path.join(dir, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await h.close();
    },
  };
}
