import fs from 'node:fs';
import { expect } from 'chai';
import { ADMIN_PASSWORD, createGroup } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';

/**
 * The seeds' admin journey for monday.com in a real browser: add it from the catalog, replace
 * YOUR_SUBDOMAIN, read the values the SP needs, download the certificate and the metadata,
 * authorize a group, deactivate, delete — every step recorded as an event.
 */
(chromiumAvailable() ? describe : describe.skip)('Admin portal journey in Chromium (monday.com, as the seeds describe)', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  before(async () => { rig = await startBrowserRig('admin-journey'); });
  after(async () => { await rig?.close(); });

  it('adds monday.com, configures it, hands the SP its values, authorizes a group, deactivates and deletes it', async () => {
    const { page, baseUrl, h } = rig;
    const group = await createGroup(h, 'Marketing');

    await page.goto(`${baseUrl}/admin`);
    await page.fill('#username', 'admin@gatehouse.local');
    await page.fill('#password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${baseUrl}/admin/applications`);
    expect(await page.textContent('h1')).to.equal('SSO Applications');
    await rig.shot('empty-application-list');

    await page.click('text=+ Add New Application');
    await page.fill('#q', 'monday');
    await page.press('#q', 'Enter');
    await page.waitForURL(/q=monday/);
    await rig.shot('catalog-search');
    await page.click('a.catalog-entry:has-text("monday.com")');
    expect(await page.inputValue('#displayLabel')).to.equal('monday.com');
    await page.click('summary:has-text("Advanced Settings")');
    expect(await page.inputValue('#slug')).to.equal('monday-com');
    expect(await page.textContent('.prefixed')).to.contain(`${baseUrl}/saml2/`);
    expect(await page.textContent('.notice')).to.contain('not editable after the application is created');
    await page.fill('#description', 'Boards for the marketing team');
    await rig.shot('general-info');
    await page.click('button:has-text("Save Application")');
    expect(await page.textContent('h1')).to.contain('monday.com is saved');
    await rig.shot('saved');
    await page.click('text=Configure Application');

    // SSO tab: the placeholder is listed; saving replaces every instance.
    expect(await page.inputValue('#spEntityId')).to.equal('https://YOUR_SUBDOMAIN.monday.com/saml/saml_callback');
    expect(await page.textContent('.unverified')).to.contain('Check these against monday.com');
    await page.fill('#ph_YOUR_SUBDOMAIN', 'acme');
    await page.click('#sso-form button:has-text("Save")');
    await page.waitForURL(/notice=saved/);
    expect(await page.inputValue('#spEntityId')).to.equal('https://acme.monday.com/saml/saml_callback');
    expect(await page.inputValue('#acsUrls')).to.equal('https://acme.monday.com/saml/saml_callback');
    expect(await page.inputValue('#loginUrl')).to.equal('https://acme.monday.com');
    await rig.shot('sso-tab-configured');

    // What monday.com needs: the IdP URL, the IdP entity ID and the certificate.
    const panel = await page.textContent('aside');
    expect(panel).to.contain(`${baseUrl}/saml2/monday-com`);
    const key = await h.ctx.keys.keyFor();
    const body = key.certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
    expect(await page.inputValue('#cert-body')).to.equal(body);
    const [certificate] = await Promise.all([page.waitForEvent('download'), page.click('aside a:has-text("Download certificate")')]);
    expect(certificate.suggestedFilename()).to.equal('certificate.pem');
    expect(fs.readFileSync((await certificate.path())!, 'utf8')).to.equal(key.certificatePem);
    const [metadata] = await Promise.all([page.waitForEvent('download'), page.click('aside a:has-text("Export metadata")')]);
    expect(metadata.suggestedFilename()).to.equal('Gatehouse-monday-com-metadata.xml');
    expect(fs.readFileSync((await metadata.path())!, 'utf8')).to.contain(`entityID="${baseUrl}/saml2/monday-com"`);

    // Activate, then authorize a group on the User Groups tab.
    await page.click('summary:has-text("Actions")');
    await page.click('button:has-text("Activate SSO")');
    await page.waitForURL(/notice=activated/);
    expect(await page.textContent('.page-head h1')).to.contain('Active');
    await page.click('.tabs a:has-text("User Groups")');
    await page.check(`#groups-${group.id}`);
    await page.click('button:has-text("Save")');
    await page.waitForURL(/tab=groups&notice=saved/);
    expect(await page.isChecked(`#groups-${group.id}`)).to.equal(true);
    await rig.shot('group-authorized');
    const app = (await h.ctx.store.applications.findBySlug('monday-com'))!;
    expect((await h.ctx.store.applications.listBoundGroups(app.id)).map((g) => g.id)).to.deep.equal([group.id]);

    // Deactivate: the SSO URL refuses with a clear page and the configuration stays.
    await page.click('summary:has-text("Actions")');
    await page.click('button:has-text("Deactivate SSO")');
    await page.waitForURL(/notice=deactivated/);
    await rig.shot('deactivated');
    const refused = await page.request.get(`${baseUrl}/saml2/monday-com`);
    expect(refused.status()).to.equal(403);
    expect(await refused.text()).to.contain('switched off');

    // Delete: select, type the number of apps, confirm.
    await page.goto(`${baseUrl}/admin/applications`);
    await page.check(`input[name=appId][value="${app.id}"]`);
    await page.click('button:has-text("Delete selected")');
    await page.fill('#count', '1');
    await rig.shot('delete-confirm');
    await page.click('button:has-text("Delete")');
    await page.waitForURL(/notice=deleted/);
    expect(await page.textContent('.flash.ok')).to.equal('Deleted.');
    await rig.shot('deleted');
    expect(await h.ctx.store.applications.findBySlug('monday-com')).to.equal(undefined);

    // Directory Insights shows the journey: every step, with the chart.
    await page.goto(`${baseUrl}/admin/insights?appId=${app.id}`);
    expect(await page.textContent('table.data')).to.contain('application_delete');
    expect(await page.locator('svg.chart rect').count()).to.be.greaterThan(0);
    await rig.shot('directory-insights');

    const types = (await h.ctx.store.events.list({ appId: app.id, limit: 50 })).map((e) => e.type).reverse();
    expect(types).to.include.members(['application_create', 'application_update', 'sso_activate', 'group_bind', 'sso_deactivate', 'application_delete']);
    const admin = (await h.ctx.store.events.list({ appId: app.id, type: 'application_delete', limit: 1 }))[0];
    expect(admin).to.include({ actorType: 'user', actorLabel: 'admin@gatehouse.local', targetLabel: 'monday.com' });
  });
});
