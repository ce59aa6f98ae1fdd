import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { authenticatorCode } from '../helpers/authenticator';
import { createGroup, createUser, type Harness } from '../helpers/harness';
import { chromiumAvailable, startBrowserRig, type BrowserRig } from '../helpers/browser';
import { startSpServer, type SpServer } from '../helpers/sp-server';

/**
 * Both Web SSO journeys end to end in Chromium against a real SP (node-saml on its own port and
 * site): IdP-initiated from a tile, SP-initiated with and without a Gatehouse session over both
 * bindings, and a user who is not authorized.
 */
(chromiumAvailable() ? describe : describe.skip)('SSO journeys in Chromium against a node-saml SP', function () {
  this.timeout(120_000);
  let rig: BrowserRig;
  let sp: SpServer;
  let h: Harness;
  let user: Awaited<ReturnType<typeof createUser>>;
  let outsider: Awaited<ReturnType<typeof createUser>>;

  before(async () => {
    rig = await startBrowserRig('sso-journeys');
    h = rig.h;
    sp = await startSpServer();
    const app = (await h.api().post('/api/v1/applications').send({
      catalogId: 'custom-saml', displayLabel: 'Test SP', slug: 'test-sp', description: 'The node-saml service provider',
      sso: { spEntityId: sp.entityId, acsUrls: [sp.acsUrl] },
      attributes: [{ name: 'email', source: 'email' }, { name: 'firstName', source: 'firstName' }, { name: 'groups', source: 'groups' }],
    }).expect(201)).body;
    const key = await h.ctx.keys.keyFor(app.signingKeyId);
    sp.configure({ ssoUrl: `${rig.baseUrl}/saml2/test-sp`, entityId: app.sso.idpEntityId, certificatePem: key.certificatePem });
    user = await createUser(h, { firstName: 'Katherine', lastName: 'Johnson' });
    outsider = await createUser(h);
    const group = await createGroup(h, 'Flight Research');
    await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
  });
  after(async () => {
    await sp?.close();
    await rig?.close();
  });

  async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await rig.browser.newContext({ viewport: { width: 1100, height: 800 } });
    return { context, page: await context.newPage() };
  }
  async function signInAt(page: Page, who: { username: string; password: string }) {
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await page.click('button[type=submit]');
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: `test-artifacts/sso-journeys/${name}.png`, fullPage: true });

  it('IdP-initiated: sign in, click the tile, land signed in at the SP', async () => {
    const { context, page } = await freshPage();
    await page.goto(`${rig.baseUrl}/login`);
    await signInAt(page, user);
    await page.waitForURL(`${rig.baseUrl}/`);
    await shot(page, '01-console-tiles');
    await page.click('a.app-link:has-text("Test SP")');
    await page.waitForURL(`${sp.baseUrl}/protected`);
    expect(await page.textContent('#nameid')).to.equal(user.email);
    expect(await page.textContent('body')).to.contain('Katherine').and.to.contain('Flight Research');
    await shot(page, '02-idp-initiated-at-sp');
    await context.close();
  });

  it('SP-initiated over HTTP-Redirect: sent to sign in, then back on the protected page; again with a session, no prompt', async () => {
    sp.binding = 'HTTP-Redirect';
    sp.configure({ ssoUrl: `${rig.baseUrl}/saml2/test-sp`, entityId: `${rig.baseUrl}/saml2/test-sp`, certificatePem: (await h.ctx.keys.keyFor()).certificatePem });
    const { context, page } = await freshPage();
    await page.goto(`${sp.baseUrl}/protected`);
    await page.waitForURL(/\/login\?sso=/);
    expect(await page.textContent('.lead')).to.contain('Test SP');
    await shot(page, '03-sp-initiated-sign-in');
    await signInAt(page, user);
    await page.waitForURL(`${sp.baseUrl}/protected`);
    expect(await page.textContent('#nameid')).to.equal(user.email);
    await shot(page, '04-sp-initiated-at-sp');

    // A new SP session, the Gatehouse session still there: straight through.
    await context.clearCookies({ domain: 'localhost' });
    await page.goto(`${sp.baseUrl}/protected`);
    await page.waitForURL(`${sp.baseUrl}/protected`);
    expect(await page.textContent('#nameid')).to.equal(user.email);
    await context.close();
  });

  it('SP-initiated over HTTP-POST from another site with an existing session: no prompt (SameSite=Lax survives the hop)', async () => {
    const { context, page } = await freshPage();
    await page.goto(`${rig.baseUrl}/login`);
    await signInAt(page, user);
    await page.waitForURL(`${rig.baseUrl}/`);
    sp.binding = 'HTTP-POST';
    sp.configure({ ssoUrl: `${rig.baseUrl}/saml2/test-sp`, entityId: `${rig.baseUrl}/saml2/test-sp`, certificatePem: (await h.ctx.keys.keyFor()).certificatePem });
    const before = sp.received.accepted;
    await page.goto(`${sp.baseUrl}/protected`);
    await page.waitForURL(`${sp.baseUrl}/protected`);
    expect(await page.textContent('#nameid')).to.equal(user.email);
    expect(sp.received.accepted).to.equal(before + 1);
    await shot(page, '05-sp-initiated-post-at-sp');
    sp.binding = 'HTTP-Redirect';
    await context.close();
  });

  it('with MFA on, the TOTP step sits in the middle of both journeys', async () => {
    const { context, page } = await freshPage();
    // Set up two-step sign-in from the console, as the user would.
    await page.goto(`${rig.baseUrl}/login`);
    await signInAt(page, user);
    await page.waitForURL(`${rig.baseUrl}/`);
    await page.click('a:has-text("Security")');
    await shot(page, '07-mfa-enrol');
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s+/g, '');
    await page.fill('#code', authenticatorCode(secret, h.clock.now()));
    await page.click('button:has-text("Turn on two-step sign-in")');
    expect(await page.textContent('.flash.ok')).to.contain('Two-step sign-in is on');
    await shot(page, '08-mfa-recovery-codes');
    await context.close();

    // IdP-initiated: password, code, tile, SP.
    h.clock.advance(30);
    const idp = await freshPage();
    await idp.page.goto(`${rig.baseUrl}/login`);
    await signInAt(idp.page, user);
    await idp.page.waitForURL(`${rig.baseUrl}/login/mfa`);
    await shot(idp.page, '09-mfa-step');
    await idp.page.fill('#code', authenticatorCode(secret, h.clock.now()));
    await idp.page.click('button:has-text("Verify")');
    await idp.page.waitForURL(`${rig.baseUrl}/`);
    await idp.page.click('a.app-link:has-text("Test SP")');
    await idp.page.waitForURL(`${sp.baseUrl}/protected`);
    expect(await idp.page.textContent('#nameid')).to.equal(user.email);
    await idp.context.close();

    // SP-initiated: the SP sends the user, password, code, back at the SP.
    h.clock.advance(30);
    sp.configure({ ssoUrl: `${rig.baseUrl}/saml2/test-sp`, entityId: `${rig.baseUrl}/saml2/test-sp`, certificatePem: (await h.ctx.keys.keyFor()).certificatePem });
    const spi = await freshPage();
    await spi.page.goto(`${sp.baseUrl}/protected`);
    await spi.page.waitForURL(/\/login\?sso=/);
    await signInAt(spi.page, user);
    await spi.page.waitForURL(`${rig.baseUrl}/login/mfa`);
    await spi.page.fill('#code', authenticatorCode(secret, h.clock.now()));
    await spi.page.click('button:has-text("Verify")');
    await spi.page.waitForURL(`${sp.baseUrl}/protected`);
    expect(await spi.page.textContent('#nameid')).to.equal(user.email);
    await shot(spi.page, '10-mfa-sp-initiated-at-sp');
    await spi.context.close();
    await h.ctx.store.mfa.delete(user.id);
  });

  it('a user who is not authorized gets a clear "no access" page and the SP gets nothing', async () => {
    sp.configure({ ssoUrl: `${rig.baseUrl}/saml2/test-sp`, entityId: `${rig.baseUrl}/saml2/test-sp`, certificatePem: (await h.ctx.keys.keyFor()).certificatePem });
    const { context, page } = await freshPage();
    const before = { ...sp.received, refused: sp.received.refused.length };
    await page.goto(`${sp.baseUrl}/protected`);
    await page.waitForURL(/\/login\?sso=/);
    await signInAt(page, outsider);
    await page.waitForLoadState('load');
    expect(page.url()).to.match(new RegExp(`^${rig.baseUrl}/saml2/test-sp/continue/`));
    expect(await page.textContent('h1')).to.equal('No access');
    expect(await page.textContent('.error-message')).to.contain('You do not have access to Test SP');
    await shot(page, '06-no-access');
    expect(sp.received.accepted).to.equal(before.accepted);
    expect(sp.received.refused.length).to.equal(before.refused);
    await context.close();
  });
});
