import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent';
import type { SamlApplication } from '../../src/store';
import { ADMIN_PASSWORD, csrfFrom, signIn, startGatehouse, type Harness } from '../helpers/harness';
import { formFields } from '../helpers/html-form';

describe('Placeholders in the portal: templated fields follow them, hand edits are marked', () => {
  let h: Harness;
  let admin: TestAgent;
  before(async () => {
    h = await startGatehouse();
    admin = (await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD)).agent;
  });
  after(async () => { await h.close(); });

  /** Post the SSO tab as the browser shows it, with `changes` typed in. */
  async function saveSsoTab(appId: string, changes: Record<string, string | string[]>, status = 303) {
    const page = await admin.get(`/admin/applications/${appId}?tab=sso`).expect(200);
    const res = await admin.post(`/admin/applications/${appId}/sso`).type('form').send({ ...formFields(page.text, 'sso-form'), _csrf: csrfFrom(page.text), ...changes });
    expect(res.status, res.text.slice(0, 600)).to.equal(status);
    return res;
  }
  const stored = async (id: string) => (await h.ctx.store.applications.findById(id)) as SamlApplication;

  describe('a monday.com subdomain changed after the first save (acme → betacorp)', () => {
    it('moves the SP entity ID, ACS URL, login URL and SCIM base URL to the new subdomain', async () => {
      const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-move', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201)).body;
      await saveSsoTab(app.id, { ph_YOUR_SUBDOMAIN: 'betacorp' });
      const after = await stored(app.id);
      expect(after.placeholders).to.deep.equal({ YOUR_SUBDOMAIN: 'betacorp' });
      expect(after.sso.spEntityId).to.equal('https://betacorp.monday.com/saml/saml_callback');
      expect(after.sso.acsEndpoints).to.deep.equal([{ url: 'https://betacorp.monday.com/saml/saml_callback', index: 0, isDefault: true }]);
      expect(after.sso.loginUrl).to.equal('https://betacorp.monday.com');
      expect((await h.api().get(`/api/v1/applications/${app.id}/idm`).expect(200)).body.baseUrl).to.equal('https://betacorp.monday.com/scim/v2');
      const page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
      expect(page.text).not.to.contain('Edited by hand');
    });

    it('a saved SCIM connection whose base URL still follows the template moves too; one typed by hand stays', async () => {
      const followed = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-scim-follow', placeholders: { YOUR_SUBDOMAIN: 'umbrella' } }).expect(201)).body;
      await h.api().put(`/api/v1/applications/${followed.id}/idm`).send({ token: 'monday-token-0123456789' }).expect(200);
      const typed = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-scim-typed', placeholders: { YOUR_SUBDOMAIN: 'cyberdyne' } }).expect(201)).body;
      await h.api().put(`/api/v1/applications/${typed.id}/idm`).send({ baseUrl: 'https://scim.cyberdyne.example/v2', token: 'monday-token-0123456789' }).expect(200);

      await saveSsoTab(followed.id, { ph_YOUR_SUBDOMAIN: 'umbrella-eu' });
      await saveSsoTab(typed.id, { ph_YOUR_SUBDOMAIN: 'skynet' });
      expect((await h.ctx.store.idm.find(followed.id))?.baseUrl).to.equal('https://umbrella-eu.monday.com/scim/v2');
      expect((await h.ctx.store.idm.find(typed.id))?.baseUrl).to.equal('https://scim.cyberdyne.example/v2');
    });

    it('while Identity Management is active, a change that would move its base URL is refused and nothing changes', async () => {
      const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-scim-live', placeholders: { YOUR_SUBDOMAIN: 'hooli' } }).expect(201)).body;
      await h.api().put(`/api/v1/applications/${app.id}/idm`).send({ token: 'monday-token-0123456789' }).expect(200);
      // Arrange: a connection that was verified and activated earlier.
      const connection = (await h.ctx.store.idm.find(app.id))!;
      await h.ctx.store.idm.put({ ...connection, active: true, activatedAt: h.clock.now().toISOString() });

      const res = await h.api().patch(`/api/v1/applications/${app.id}`).send({ placeholders: { YOUR_SUBDOMAIN: 'piedpiper' } }).expect(409);
      expect(res.body.code).to.equal('idm.base_url_locked');
      expect(res.body.message).to.contain('https://piedpiper.monday.com/scim/v2');
      const after = await stored(app.id);
      expect(after.placeholders).to.deep.equal({ YOUR_SUBDOMAIN: 'hooli' });
      expect(after.sso.spEntityId).to.equal('https://hooli.monday.com/saml/saml_callback');
      expect((await h.ctx.store.idm.find(app.id))?.baseUrl).to.equal('https://hooli.monday.com/scim/v2');
    });

    it('keeps a field edited by hand, marks it with the template value, and re-renders it when asked', async () => {
      const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-hand', placeholders: { YOUR_SUBDOMAIN: 'initech' } }).expect(201)).body;
      await saveSsoTab(app.id, { loginUrl: 'https://sso.initech.example/monday' });
      let page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
      expect(page.text).to.contain('id="hand_loginUrl"');
      expect(page.text).to.match(/Edited by hand — differs from the catalog template: <code>https:\/\/initech\.monday\.com<\/code>/);
      expect(page.text).not.to.contain('id="hand_spEntityId"');

      await saveSsoTab(app.id, { ph_YOUR_SUBDOMAIN: 'globex' });
      let after = await stored(app.id);
      expect(after.sso.spEntityId).to.equal('https://globex.monday.com/saml/saml_callback');
      expect(after.sso.loginUrl).to.equal('https://sso.initech.example/monday');
      page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
      expect(page.text).to.contain('<code>https://globex.monday.com</code>');

      await saveSsoTab(app.id, { rerender: 'loginUrl' });
      after = await stored(app.id);
      expect(after.sso.loginUrl).to.equal('https://globex.monday.com');
      page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
      expect(page.text).not.to.contain('Edited by hand');
    });

    it('attribute constants follow too (an AWS role ARN), from the SSO tab', async () => {
      const app = (await h.api().post('/api/v1/applications').send({
        catalogId: 'aws-console-saml-federation', slug: 'aws-follow',
        placeholders: { YOUR_ACCOUNT_ID: '123456789012', YOUR_ROLE_NAME: 'Admin', YOUR_SAML_PROVIDER_NAME: 'Gatehouse' },
      }).expect(201)).body as SamlApplication;
      await saveSsoTab(app.id, { ph_YOUR_ROLE_NAME: 'ReadOnly' });
      const role = (await stored(app.id)).attributes.find((a) => a.name.endsWith('/Role'));
      expect(role?.value).to.equal('arn:aws:iam::123456789012:role/ReadOnly,arn:aws:iam::123456789012:saml-provider/Gatehouse');
    });

    it('through the API too: sending back what GET returned, with a new value, follows the template', async () => {
      const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-api', placeholders: { YOUR_SUBDOMAIN: 'umbrella' } }).expect(201)).body as SamlApplication;
      const res = await h.api().patch(`/api/v1/applications/${app.id}`).send({
        placeholders: { YOUR_SUBDOMAIN: 'soylent' },
        sso: { spEntityId: app.sso.spEntityId, acsUrls: app.sso.acsEndpoints.map((e) => e.url), loginUrl: 'https://login.soylent.example' },
      }).expect(200);
      expect(res.body.sso.spEntityId).to.equal('https://soylent.monday.com/saml/saml_callback');
      expect(res.body.sso.acsEndpoints[0].url).to.equal('https://soylent.monday.com/saml/saml_callback');
      expect(res.body.sso.loginUrl).to.equal('https://login.soylent.example');
      const back = await h.api().patch(`/api/v1/applications/${app.id}`).send({ rerender: ['loginUrl'] }).expect(200);
      expect(back.body.sso.loginUrl).to.equal('https://soylent.monday.com');
      const wrong = await h.api().patch(`/api/v1/applications/${app.id}`).send({ rerender: ['slug'] }).expect(422);
      expect(wrong.body.message).to.contain('rerender.0');
    });
  });

  describe('ClickUp\u2019s YOUR_ID', () => {
    it('goes into the SCIM base URL; a workspace ID that is not a number is refused; the SP values stay to paste, flagged', async () => {
      const refused = await h.api().post('/api/v1/applications').send({ catalogId: 'clickup', slug: 'clickup-words', placeholders: { YOUR_ID: 'my-team' } }).expect(422);
      expect(refused.body.code).to.equal('applications.placeholder_invalid');
      expect(refused.body.message).to.contain('placeholders.YOUR_ID').and.to.contain('Workspace ID');
      const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'clickup', slug: 'clickup-id', placeholders: {
        YOUR_ID: '9012345678', YOUR_SP_ENTITY_ID: 'https://app.clickup.test/sp/9012345678', YOUR_ACS_URL: 'https://app.clickup.test/acs/9012345678',
      } }).expect(201)).body as SamlApplication;
      expect(app.sso.spEntityId).to.equal('https://app.clickup.test/sp/9012345678');
      expect(app.sso.acsEndpoints[0].url).to.equal('https://app.clickup.test/acs/9012345678');
      expect(app.ssoActive).to.equal(true);
      expect((await h.api().get(`/api/v1/applications/${app.id}/idm`).expect(200)).body.baseUrl).to.equal('https://api.clickup.com/v2/scim/team/9012345678');
      const page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
      expect(page.text).to.match(/SP entity ID <span class="check"[^>]*>check this against the vendor's admin page/);
      expect(page.text).to.match(/ACS URLs <span class="muted small">[^<]*<\/span> <span class="check"/);
    });

    it('the save page and the banner name the same placeholders left', async () => {
      const form = await admin.get('/admin/applications/new/clickup').expect(200);
      const saved = await admin.post('/admin/applications/new/clickup').type('form').send({ _csrf: csrfFrom(form.text), displayLabel: 'ClickUp Left', slug: 'clickup-left', image: 'logo' }).expect(200);
      const names = (html: string) => /class="[^"]*placeholders-left[^"]*">([\s\S]*?)<\/p>/.exec(html)?.[1].match(/YOUR_[A-Z0-9_]+/g) ?? [];
      const app = (await h.ctx.store.applications.findBySlug('clickup-left'))!;
      const banner = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
      expect(names(saved.text)).to.deep.equal(['YOUR_SP_ENTITY_ID', 'YOUR_ACS_URL']);
      expect(names(banner.text)).to.deep.equal(names(saved.text));
    });
  });

  describe('a Bookmark', () => {
    it('is created from the portal with the Bookmark URL typed on the create form', async () => {
      const form = await admin.get('/admin/applications/new/bookmark').expect(200);
      expect(form.text).to.match(/<input id="bookmarkUrl" name="bookmarkUrl" type="url"/);
      const saved = await admin.post('/admin/applications/new/bookmark').type('form')
        .send({ _csrf: csrfFrom(form.text), displayLabel: 'Handbook', image: 'logo', showInPortal: 'on', bookmarkUrl: 'https://handbook.example.com/start' }).expect(200);
      expect(saved.text).to.contain('Handbook is saved');
      const app = (await h.ctx.store.applications.list({ q: 'Handbook', limit: 5, offset: 0 })).items[0];
      expect(app).to.include({ bookmarkUrl: 'https://handbook.example.com/start', ssoActive: true });
      const refused = await admin.post('/admin/applications/new/bookmark').type('form')
        .send({ _csrf: csrfFrom(form.text), displayLabel: 'Plain', image: 'logo', bookmarkUrl: 'http://plain.example.com' }).expect(422);
      expect(refused.text).to.contain('bookmarkUrl must use https');
      expect(refused.text).to.contain('value="http://plain.example.com"');
    });

    it('without a URL yet, shows an empty field (the placeholder only as a hint) that can be saved', async () => {
      const form = await admin.get('/admin/applications/new/bookmark').expect(200);
      await admin.post('/admin/applications/new/bookmark').type('form').send({ _csrf: csrfFrom(form.text), displayLabel: 'Later Tile', image: 'logo' }).expect(200);
      const app = (await h.ctx.store.applications.list({ q: 'Later Tile', limit: 5, offset: 0 })).items[0];
      expect(app).to.include({ ssoActive: false });
      const page = await admin.get(`/admin/applications/${app.id}?tab=general`).expect(200);
      expect(page.text).not.to.match(/value="YOUR_BOOKMARK_URL"/);
      expect(page.text).to.match(/id="bookmarkUrl" name="bookmarkUrl" type="url" maxlength="2048" value="" placeholder="https:\/\/intranet\.example\.com"/);
      expect(page.text).to.contain('Enter the Bookmark URL on the');
      // Saving the General Info tab as shown (URL still empty) works: a new description is kept.
      const fields = { ...formFields(page.text, 'general-form'), _csrf: csrfFrom(page.text), description: 'Coming soon' };
      await admin.post(`/admin/applications/${app.id}/general`).type('form').send(fields).expect(303);
      expect((await h.ctx.store.applications.findById(app.id))!).to.include({ description: 'Coming soon', ssoActive: false });
      await admin.post(`/admin/applications/${app.id}/general`).type('form').send({ ...fields, bookmarkUrl: 'https://later.example.com' }).expect(303);
      expect((await h.ctx.store.applications.findById(app.id))!.bookmarkUrl).to.equal('https://later.example.com');
    });
  });
});
