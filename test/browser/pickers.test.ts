import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_PASSWORD } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';
import { sampleApplication, sampleGroup, sampleUser } from '../store/contract/fixtures';

/**
 * A picker in Chromium with JavaScript switched off (it must not need any) on a 390 px screen:
 * search the application's groups with the GET form, page on, check one, save; and no page of
 * lists or pickers scrolls sideways. CSP violations are reported by the browser and counted.
 */
(chromiumAvailable() ? describe : describe.skip)('Admin pickers in Chromium, without JavaScript, at 390 px', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  let context: BrowserContext;
  let page: Page;
  const violations: string[] = [];
  const app = sampleApplication({ displayLabel: 'Picker App' });
  const groups = Array.from({ length: 130 }, (_, i) => sampleGroup({ name: `Squad ${String(i).padStart(3, '0')}`, description: 'A long description that has to wrap on a phone screen' }));

  before(async () => {
    rig = await startBrowserRig('pickers');
    await rig.h.ctx.store.applications.create(app);
    for (const g of groups) await rig.h.ctx.store.groups.create(g);
    for (let i = 0; i < 60; i++) await rig.h.ctx.store.users.create(sampleUser({ username: `phone${String(i).padStart(2, '0')}`, displayName: `Phone User ${i}` }), null);
    // Not isMobile: a mobile viewport widens to fit the content, which would hide an overflow.
    context = await (rig.browser as Browser).newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    page = await context.newPage();
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
    await page.goto(`${rig.baseUrl}/login`);
    await page.fill('#username', 'admin@gatehouse.local');
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${rig.baseUrl}/admin/applications`);
  });
  after(async () => {
    await context?.close();
    await rig?.close();
  });

  /** Nothing in `selector` (the whole page by default) reaches past the 390 px screen. */
  const fits = async (name: string, selector = 'html') => {
    const overflow = await page.evaluate((sel) => {
      const element = document.querySelector(sel)!;
      return Math.max(element.scrollWidth - element.clientWidth, element.getBoundingClientRect().right - window.innerWidth);
    }, selector);
    expect(overflow, name).to.be.at.most(0);
    await page.screenshot({ path: `test-artifacts/pickers/${name}.png`, fullPage: true });
  };

  it('searches, pages and saves the application\'s groups with plain forms and links', async () => {
    await page.goto(`${rig.baseUrl}/admin/applications/${app.id}?tab=groups`);
    await fits('groups-tab');
    expect(await page.textContent('#groups .pager')).to.contain('130 groups');
    await page.click('#groups a[rel=next]');
    await page.waitForURL(/after=/);
    expect(await page.isVisible('#groups label:has-text("Squad 050")')).to.equal(true);

    await page.fill('#groups-q', 'squad 12');
    await page.press('#groups-q', 'Enter');
    await page.waitForURL(/q=squad\+12/);
    expect(await page.textContent('#groups .pager')).to.contain('10 groups');
    await page.check(`#groups-${groups[127].id}`);
    await page.click('#groups button:has-text("Save groups")');
    await page.waitForURL(/notice=saved/);
    expect(page.url()).to.contain('q=squad+12');
    expect(await page.isChecked(`#groups-${groups[127].id}`)).to.equal(true);
    expect(await page.textContent('#groups')).to.contain('Checked now: Squad 127.');
    await fits('groups-saved');
    expect((await rig.h.ctx.store.applications.listBoundGroups(app.id)).map((g) => g.name)).to.deep.equal(['Squad 127']);
  });

  it('adds a member found by search on the group page', async () => {
    await page.goto(`${rig.baseUrl}/admin/groups/${groups[0].id}`);
    await page.fill('#members-q', 'phone user 4');
    await page.press('#members-q', 'Enter');
    await page.waitForURL(/mq=/);
    await page.check('#members label:has-text("Phone User 42") input');
    await page.click('#members button:has-text("Save members")');
    await page.waitForURL(/notice=saved/);
    await fits('group-members');
    expect((await rig.h.ctx.store.groups.listMembers(groups[0].id)).map((u) => u.username)).to.deep.equal(['phone42']);
  });

  it('keeps the lists and the insights filters inside a phone screen, with no CSP violation', async () => {
    for (const [name, path] of [['users', '/admin/users?q=phone'], ['groups', '/admin/groups'], ['applications', '/admin/applications'],
      ['users-all', '/admin/users']] as const) {
      await page.goto(`${rig.baseUrl}${path}`);
      await fits(name);
    }
    await page.goto(`${rig.baseUrl}/admin/insights?userQ=phone`);
    expect(await page.textContent('#userId')).to.contain('phone00');
    await fits('insights-filters', 'form.filters');
    // The events table scrolls inside its own box; the page itself stays phone-wide.
    expect(await page.locator('.table-scroll table.data tbody tr').count(), 'events listed').to.be.greaterThan(0);
    await fits('insights');
    expect(violations).to.deep.equal([]);
  });
});
