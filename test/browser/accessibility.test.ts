import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, authorizedUser, type Harness } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';

/**
 * Accessibility basics on every page a person uses: each form control has a label, the pages
 * work from the keyboard with a visible focus, and they fit a phone-sized screen.
 */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = [];
    document.querySelectorAll('input, select, textarea, button').forEach((el) => {
      const e = el as HTMLInputElement;
      if (e.type === 'hidden' || e.hidden || e.closest('[hidden]')) return;
      const named = (e.id && document.querySelector(`label[for="${e.id}"]`)) || e.closest('label')
        || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent!.trim());
      if (!named) missing.push(`${e.tagName.toLowerCase()}[name=${e.getAttribute('name')}]`);
    });
    return missing;
  });
}

(chromiumAvailable() ? describe : describe.skip)('Accessibility basics in Chromium', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  let h: Harness;
  let appId: string;
  let user: { username: string; password: string };
  before(async () => {
    rig = await startBrowserRig('accessibility');
    h = rig.h;
    const arranged = await authorizedUser(h);
    appId = arranged.app.id;
    user = arranged.user;
  });
  after(async () => { await rig?.close(); });

  it('signs in with the keyboard alone, with a visible focus ring', async () => {
    const { page, baseUrl } = rig;
    await page.goto(`${baseUrl}/login`);
    // The username field has focus on arrival; Tab moves to the password, Enter submits.
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('username');
    await page.keyboard.type(user.username);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal('password');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).to.not.equal('none');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${baseUrl}/`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => (document.activeElement as HTMLElement).textContent?.trim());
    expect(focused).to.be.a('string');
    await page.context().clearCookies();
  });

  it('labels every control on the sign-in, console, account and admin pages', async () => {
    const { page, baseUrl } = rig;
    const visit = async (path: string) => {
      await page.goto(`${baseUrl}${path}`);
      expect(await unlabelledControls(page), path).to.deep.equal([]);
    };
    await visit('/login');
    await page.fill('#username', user.username);
    await page.fill('#password', user.password);
    await page.click('button[type=submit]');
    await page.waitForURL(`${baseUrl}/`);
    for (const path of ['/', '/account/password', '/account/mfa']) await visit(path);
    await page.context().clearCookies();
    await page.goto(`${baseUrl}/login`);
    await page.fill('#username', 'admin@gatehouse.local');
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${baseUrl}/admin/applications`);
    for (const path of ['/admin/applications', '/admin/applications/new', '/admin/applications/new/monday', `/admin/applications/${appId}`,
      `/admin/applications/${appId}?tab=sso`, `/admin/applications/${appId}?tab=groups`, '/admin/users', '/admin/users/new', '/admin/groups', '/admin/insights', `/admin/applications/${appId}?tab=idm`]) {
      await visit(path);
    }
    await page.context().clearCookies();
  });

  it('fits a phone-sized screen without sideways scrolling', async () => {
    const context = await rig.browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
    const page = await context.newPage();
    const fits = async (name: string) => {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, name).to.be.at.most(0);
      await page.screenshot({ path: `test-artifacts/accessibility/phone-${name}.png`, fullPage: true });
    };
    await page.goto(`${rig.baseUrl}/login`);
    await fits('login');
    await page.fill('#username', user.username);
    await page.fill('#password', user.password);
    await page.click('button[type=submit]');
    await page.waitForURL(`${rig.baseUrl}/`);
    await fits('console');
    await page.goto(`${rig.baseUrl}/account/mfa`);
    await fits('mfa');
    await context.close();
  });
});
