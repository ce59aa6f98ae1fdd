import { expect } from 'chai';
import { ADMIN_PASSWORD, createGroup } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';
import { startScimServer, type ScimServer } from '../helpers/scim-server';

/**
 * Issue 9 #26 in a real browser: the Identity Management tab refuses to activate while the app's
 * SSO is off ("SSO is required to use SCIM"), and an Activate that the SCIM service refuses stores
 * nothing: the token saved before stays.
 */
(chromiumAvailable() ? describe : describe.skip)('Identity Management in Chromium: activation needs SSO, and a refused one stores nothing', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  let scim: ScimServer;
  before(async () => {
    scim = await startScimServer();
    rig = await startBrowserRig('identity-management');
    await rig.page.goto(`${rig.baseUrl}/login`);
    await rig.page.fill('#username', 'admin@gatehouse.local');
    await rig.page.fill('#password', ADMIN_PASSWORD);
    await rig.page.click('button[type=submit]');
    await rig.page.waitForURL(`${rig.baseUrl}/admin/applications`);
  });
  after(async () => {
    await rig?.close();
    await scim?.close();
  });

  it('monday.com: refused while SSO is off, refused with a wrong token (the saved one stays), then activated', async () => {
    const { page, baseUrl, h } = rig;
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-idm', placeholders: { YOUR_SUBDOMAIN: 'acme' }, ssoActive: false }).expect(201)).body;
    await h.api().put(`/api/v1/applications/${app.id}/groups/${(await createGroup(h, 'IdM browser')).id}`).expect(204);
    await page.goto(`${baseUrl}/admin/applications/${app.id}?tab=idm`);
    await page.fill('#baseUrl', scim.baseUrl);
    await page.fill('#token', scim.token);
    await page.click('button[value=activate]');
    expect(await page.textContent('.flash.bad')).to.contain('Activate SSO for monday.com first');
    await rig.shot('idm-refused-sso-inactive');
    expect(await h.ctx.store.idm.find(app.id), 'nothing stored').to.equal(undefined);

    await page.click('summary:has-text("Actions")');
    await page.click('button:has-text("Activate SSO")');
    await page.waitForURL(/tab=idm&notice=activated/);
    await page.fill('#baseUrl', scim.baseUrl);
    await page.fill('#token', scim.token);
    await page.click('button[value=save]');
    await page.waitForURL(/notice=saved/);
    const saved = (await h.ctx.store.idm.find(app.id))!;
    expect(saved.active).to.equal(false);

    await page.fill('#token', 'a-wrong-token-0123456789');
    await page.click('button[value=activate]');
    expect(await page.textContent('.flash.bad')).to.contain('refused the token');
    await rig.shot('idm-refused-wrong-token');
    const after = (await h.ctx.store.idm.find(app.id))!;
    expect(after.sealedToken, 'the saved token stays').to.equal(saved.sealedToken);
    expect(after.active).to.equal(false);

    await page.click('button[value=activate]');
    await page.waitForURL(/notice=idm-activated/);
    expect(await page.textContent('.badge.on')).to.contain('Active');
    await rig.shot('idm-activated');
  });
});
