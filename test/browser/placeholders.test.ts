import { expect } from 'chai';
import { ADMIN_PASSWORD } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';

/**
 * Issue 9 #24, #25 and #27 in a real browser: a changed placeholder moves every templated field,
 * hand edits are marked and can be re-rendered; ClickUp asks for its numeric workspace ID and the
 * pages agree on what is left; a Bookmark gets its URL on the create form and an unset one never
 * blocks a save.
 */
(chromiumAvailable() ? describe : describe.skip)('Placeholders in Chromium: monday.com, ClickUp and a Bookmark', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  before(async () => {
    rig = await startBrowserRig('placeholders');
    await rig.page.goto(`${rig.baseUrl}/login`);
    await rig.page.fill('#username', 'admin@gatehouse.local');
    await rig.page.fill('#password', ADMIN_PASSWORD);
    await rig.page.click('button[type=submit]');
    await rig.page.waitForURL(`${rig.baseUrl}/admin/applications`);
  });
  after(async () => { await rig?.close(); });

  const addFromCatalog = async (id: string, label: string) => {
    const { page, baseUrl } = rig;
    await page.goto(`${baseUrl}/admin/applications/new/${id}`);
    await page.fill('#displayLabel', label);
  };
  const saveSso = async () => {
    await rig.page.click('#sso-form button:has-text("Save")');
    await rig.page.waitForURL(/notice=saved/);
  };

  it('monday.com: acme → betacorp moves every templated field; a hand-edited login URL is marked and re-rendered on request', async () => {
    const { page } = rig;
    await addFromCatalog('monday', 'monday.com moves');
    await page.click('button:has-text("Save Application")');
    await page.click('text=Configure Application');
    await page.fill('#ph_YOUR_SUBDOMAIN', 'acme');
    await saveSso();
    await page.fill('#ph_YOUR_SUBDOMAIN', 'betacorp');
    await saveSso();
    expect(await page.inputValue('#spEntityId')).to.equal('https://betacorp.monday.com/saml/saml_callback');
    expect(await page.inputValue('#acsUrls')).to.equal('https://betacorp.monday.com/saml/saml_callback');
    expect(await page.inputValue('#loginUrl')).to.equal('https://betacorp.monday.com');
    expect(await page.locator('.hand-edited').count()).to.equal(0);
    await rig.shot('monday-betacorp');

    await page.fill('#loginUrl', 'https://sso.betacorp.example/monday');
    await saveSso();
    expect(await page.textContent('#hand_loginUrl')).to.contain('Edited by hand').and.to.contain('https://betacorp.monday.com');
    await page.fill('#ph_YOUR_SUBDOMAIN', 'gamma');
    await saveSso();
    expect(await page.inputValue('#spEntityId')).to.equal('https://gamma.monday.com/saml/saml_callback');
    expect(await page.inputValue('#loginUrl')).to.equal('https://sso.betacorp.example/monday');
    await rig.shot('monday-hand-edited');
    await page.check('#hand_loginUrl input[name=rerender]');
    await saveSso();
    expect(await page.inputValue('#loginUrl')).to.equal('https://gamma.monday.com');
    expect(await page.locator('.hand-edited').count()).to.equal(0);
  });

  it('ClickUp: the saved page and the banner name the same values left; a workspace ID in words is refused; the number fills the SCIM base URL', async () => {
    const { page } = rig;
    await addFromCatalog('clickup', 'ClickUp ids');
    await page.click('button:has-text("Save Application")');
    const left = await page.textContent('.placeholders-left');
    expect(left!.match(/YOUR_[A-Z0-9_]+/g)).to.deep.equal(['YOUR_SP_ENTITY_ID', 'YOUR_ACS_URL']);
    await page.click('text=Configure Application');
    await page.waitForURL(/tab=sso/);
    const banner = await page.textContent('.placeholders-left');
    expect(banner!.match(/YOUR_[A-Z0-9_]+/g)).to.deep.equal(['YOUR_SP_ENTITY_ID', 'YOUR_ACS_URL']);
    await page.fill('#ph_YOUR_ID', 'my-team');
    await page.click('#sso-form button:has-text("Save")');
    expect(await page.textContent('.flash.bad')).to.contain('is not a valid Workspace ID');
    await page.fill('#ph_YOUR_ID', '9012345678');
    await page.fill('#ph_YOUR_SP_ENTITY_ID', 'https://app.clickup.test/sp/9012345678');
    await page.fill('#ph_YOUR_ACS_URL', 'https://app.clickup.test/acs/9012345678');
    await saveSso();
    expect(await page.inputValue('#spEntityId')).to.equal('https://app.clickup.test/sp/9012345678');
    expect(await page.inputValue('#acsUrls')).to.equal('https://app.clickup.test/acs/9012345678');
    expect(await page.textContent('label[for=spEntityId]')).to.contain("check this against the vendor's admin page");
    expect(await page.locator('.placeholders-left').count()).to.equal(0);
    await page.click('a[href="?tab=idm"]');
    expect(await page.inputValue('#baseUrl')).to.equal('https://api.clickup.com/v2/scim/team/9012345678');
    await rig.shot('clickup-configured');
  });

  it('Bookmark: the URL is asked on the create form; an app without one saves its General Info and takes the URL later', async () => {
    const { page, h } = rig;
    await addFromCatalog('bookmark', 'Wiki tile');
    expect(await page.getAttribute('#bookmarkUrl', 'type')).to.equal('url');
    await page.click('button:has-text("Save Application")');
    expect(await page.textContent('.placeholders-left')).to.contain('Bookmark URL');
    await page.click('text=Configure Application');
    expect(await page.inputValue('#bookmarkUrl')).to.equal('');
    expect(await page.getAttribute('#bookmarkUrl', 'placeholder')).to.equal('https://intranet.example.com');
    await page.fill('#description', 'The team wiki');
    await page.click('#general-form button:has-text("Save")');
    await page.waitForURL(/notice=saved/);
    const app = (await h.ctx.store.applications.list({ q: 'Wiki tile', limit: 5, offset: 0 })).items[0];
    expect(app.description).to.equal('The team wiki');
    await page.fill('#bookmarkUrl', 'https://wiki.example.com/start');
    await page.click('#general-form button:has-text("Save")');
    await page.waitForURL(/notice=saved/);
    await page.click('summary:has-text("Actions")');
    await page.click('button:has-text("Activate Bookmark")');
    await page.waitForURL(/notice=activated/);
    expect(await h.ctx.store.applications.findById(app.id)).to.include({ bookmarkUrl: 'https://wiki.example.com/start', ssoActive: true });
    await rig.shot('bookmark-active');

    // And straight from the create form.
    await addFromCatalog('bookmark', 'Handbook tile');
    await page.fill('#bookmarkUrl', 'https://handbook.example.com');
    await page.click('button:has-text("Save Application")');
    expect(await page.textContent('h1')).to.contain('Handbook tile is saved');
    const handbook = (await h.ctx.store.applications.list({ q: 'Handbook tile', limit: 5, offset: 0 })).items[0];
    expect(handbook).to.include({ bookmarkUrl: 'https://handbook.example.com', ssoActive: true });
  });
});
