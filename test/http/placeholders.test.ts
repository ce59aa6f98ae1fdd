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
});
