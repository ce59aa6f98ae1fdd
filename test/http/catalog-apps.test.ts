import { expect } from 'chai';
import request from 'supertest';
import type { Application, SamlApplication } from '../../src/store';
import { createGroup, createUser, readPostForm, signIn, startGatehouse, type Harness } from '../helpers/harness';
import { acceptedBySp } from '../helpers/sso';

describe('Catalog API and applications made from catalog entries', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  const create = (body: Record<string, unknown>) => h.api().post('/api/v1/applications').send(body);
  const authorize = async (app: Application) => {
    const user = await createUser(h);
    const group = await createGroup(h);
    await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
    await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
    return user;
  };

  describe('GET /api/v1/catalog', () => {
    it('searches by name or label and summarizes each entry', async () => {
      const res = await h.api().get('/api/v1/catalog?q=monday').expect(200);
      expect(res.body.items).to.have.length(1);
      expect(res.body.items[0]).to.deep.include({
        id: 'monday', name: 'monday.com', ssoType: 'saml', labels: ['SAML', 'JIT', 'Identity Management'],
        placeholders: ['YOUR_SUBDOMAIN'], logoUrl: '/catalog/monday/logo.svg',
      });
      const bookmarks = await h.api().get('/api/v1/catalog?q=Bookmark').expect(200);
      expect(bookmarks.body.items.map((e: { id: string }) => e.id)).to.deep.equal(['bookmark']);
    });

    it('shows one entry with its templates, provenance and README; 404 for an unknown id', async () => {
      const res = await h.api().get('/api/v1/catalog/monday').expect(200);
      expect(res.body.saml.spEntityId).to.equal('https://YOUR_SUBDOMAIN.monday.com/saml/saml_callback');
      expect(res.body.provenance.unverified[0].note).to.match(/assertion/);
      expect(res.body.readme).to.contain('## Configure monday.com');
      expect(res.body).not.to.have.property('logoSvg');
      const missing = await h.api().get('/api/v1/catalog/nope').expect(404);
      expect(missing.body.code).to.equal('catalog.not_found');
    });

    it('serves logos as sandboxed SVG images', async () => {
      const res = await request(h.app).get('/catalog/monday/logo.svg').expect(200);
      expect(res.headers['content-type']).to.match(/^image\/svg\+xml/);
      expect(res.headers['content-security-policy']).to.contain('sandbox');
      expect(res.text).not.to.match(/<script|on\w+=/i);
    });
  });

  describe('an app from a catalog entry', () => {
    it('replaces every instance of YOUR_SUBDOMAIN, takes the entry\'s attributes and signing, and signs in', async () => {
      const res = await create({ catalogId: 'monday', placeholders: { YOUR_SUBDOMAIN: 'acme' } }).expect(201);
      const app = res.body as SamlApplication;
      expect(app).to.include({ displayLabel: 'monday.com', slug: 'monday-com', ssoActive: true });
      expect(app.sso.spEntityId).to.equal('https://acme.monday.com/saml/saml_callback');
      expect(app.sso.acsEndpoints).to.deep.equal([{ url: 'https://acme.monday.com/saml/saml_callback', index: 0, isDefault: true }]);
      expect(app.sso.loginUrl).to.equal('https://acme.monday.com');
      expect(app.sso).to.include({ signResponse: true, signAssertion: true });
      expect(app.attributes.map((a) => a.name)).to.deep.equal(['Email', 'FirstName', 'LastName']);
      expect(app.placeholders).to.deep.equal({ YOUR_SUBDOMAIN: 'acme' });

      const user = await authorize(app);
      const { agent } = await signIn(h, user.username, user.password);
      const form = readPostForm((await agent.get(`/saml2/${app.slug}`).expect(200)).text);
      const profile = await acceptedBySp(h, app, form);
      expect(profile.attributes).to.deep.include({ Email: user.email, FirstName: 'Ada', LastName: 'Lovelace' });
    });

    it('without placeholder values, is saved switched off and cannot be activated until they are given', async () => {
      const created = (await create({ catalogId: 'monday', slug: 'monday-later' }).expect(201)).body as SamlApplication;
      expect(created.ssoActive).to.equal(false);
      expect(created.sso.spEntityId).to.equal('https://YOUR_SUBDOMAIN.monday.com/saml/saml_callback');
      const refused = await h.api().patch(`/api/v1/applications/${created.id}`).send({ ssoActive: true }).expect(422);
      expect(refused.body).to.include({ code: 'applications.placeholders_unreplaced' });
      expect(refused.body.message).to.contain('YOUR_SUBDOMAIN');
      await request(h.app).get(`/saml2/${created.slug}`).expect(403);

      const filled = await h.api().patch(`/api/v1/applications/${created.id}`).send({ placeholders: { YOUR_SUBDOMAIN: 'globex' }, ssoActive: true }).expect(200);
      expect(filled.body.sso.spEntityId).to.equal('https://globex.monday.com/saml/saml_callback');
      expect(filled.body.ssoActive).to.equal(true);
      const [event] = await h.ctx.store.events.list({ appId: created.id, type: 'sso_activate', limit: 1 });
      expect(event).to.include({ outcome: 'success' });
    });

    it('refuses to create it switched on while placeholders are left, naming them', async () => {
      const res = await create({ catalogId: 'clickup', slug: 'clickup-on', ssoActive: true }).expect(422);
      expect(res.body.message).to.contain('YOUR_SP_ENTITY_ID').and.to.contain('YOUR_ACS_URL');
      expect((await h.ctx.store.applications.findBySlug('clickup-on'))).to.equal(undefined);
    });

    it('a new placeholder value re-renders the fields still holding the old one, and keeps hand-edited ones', async () => {
      const app = (await create({ catalogId: 'monday', slug: 'monday-edit', placeholders: { YOUR_SUBDOMAIN: 'hooli' } }).expect(201)).body as SamlApplication;
      await h.api().patch(`/api/v1/applications/${app.id}`).send({ sso: { loginUrl: 'https://login.example.com/monday' } }).expect(200);
      const res = await h.api().patch(`/api/v1/applications/${app.id}`).send({ placeholders: { YOUR_SUBDOMAIN: 'initech' } }).expect(200);
      expect(res.body.sso.spEntityId).to.equal('https://initech.monday.com/saml/saml_callback');
      expect(res.body.sso.loginUrl).to.equal('https://login.example.com/monday');
    });

    for (const [label, placeholders, code] of [
      ['a value that does not fit the placeholder', { YOUR_SUBDOMAIN: 'acme corp/evil' }, 'applications.placeholder_invalid'],
      ['a placeholder the entry does not have', { YOUR_TENANT: 'x' }, 'applications.placeholder_unknown'],
    ] as const) {
      it(`refuses ${label} and stores nothing`, async () => {
        const before = (await h.api().get('/api/v1/applications').expect(200)).body.total;
        const res = await create({ catalogId: 'monday', placeholders }).expect(422);
        expect(res.body.code).to.equal(code);
        expect(res.body.message).to.match(/placeholders\.YOUR_/);
        expect((await h.api().get('/api/v1/applications').expect(200)).body.total).to.equal(before);
      });
    }

    it('renders placeholders inside attribute constants (AWS role ARNs)', async () => {
      const res = await create({
        catalogId: 'aws-console-saml-federation', slug: 'aws-console',
        placeholders: { YOUR_ACCOUNT_ID: '123456789012', YOUR_ROLE_NAME: 'Admin', YOUR_SAML_PROVIDER_NAME: 'Gatehouse' },
        attributes: undefined,
      }).expect(201);
      const role = (res.body as Application).attributes.find((a) => a.name.endsWith('/Role'));
      expect(role?.value).to.equal('arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/Gatehouse');
    });

    it('lets the API override any SSO field of the template', async () => {
      const res = await create({
        catalogId: 'custom-saml', displayLabel: 'Wiki', slug: 'wiki-custom',
        sso: { spEntityId: 'https://wiki.example/sp', acsUrls: ['https://wiki.example/acs'] },
      }).expect(201);
      expect(res.body).to.include({ ssoActive: true });
      expect(res.body.attributes.map((a: { name: string }) => a.name)).to.deep.equal(['email', 'firstName', 'lastName']);
    });

    it('gives a second app with the same label the next free IdP URL, but refuses a chosen slug that is taken', async () => {
      const first = (await create({ catalogId: 'bookmark', displayLabel: 'Handbook', bookmarkUrl: 'https://handbook.example.com' }).expect(201)).body;
      const second = (await create({ catalogId: 'bookmark', displayLabel: 'Handbook', bookmarkUrl: 'https://handbook.example.com/v2' }).expect(201)).body;
      expect([first.slug, second.slug]).to.deep.equal(['handbook', 'handbook-2']);
      const taken = await create({ catalogId: 'monday', slug: 'handbook' }).expect(409);
      expect(taken.body.code).to.equal('applications.slug_taken');
    });

    it('refuses a catalog id the catalog does not have', async () => {
      const res = await create({ catalogId: 'not-an-app' }).expect(422);
      expect(res.body.message).to.contain('GET /api/v1/catalog');
    });
  });

  describe('a bookmark', () => {
    it('opens its URL from the user\'s list, has no SSO URL or metadata, and refuses unsafe URLs', async () => {
      const res = await create({ catalogId: 'bookmark', displayLabel: 'Intranet', bookmarkUrl: 'https://intranet.example.com/home?a=1&b=2' }).expect(201);
      const app = res.body as Application;
      expect(app).to.include({ sso: null, bookmarkUrl: 'https://intranet.example.com/home?a=1&b=2', ssoActive: true });
      await request(h.app).get(`/saml2/${app.slug}/metadata`).expect(404);
      await h.api().get(`/api/v1/applications/${app.id}/metadata`).expect(404);
      const user = await authorize(app);
      const { agent } = await signIn(h, user.username, user.password);
      const sso = await agent.get(`/saml2/${app.slug}`).expect(404);
      expect(sso.text).to.contain('is a bookmark');
      const list = await agent.get('/').expect(200);
      expect(list.text).to.contain('href="https://intranet.example.com/home?a=1&amp;b=2" rel="noopener noreferrer"');

      for (const bad of ['javascript:alert(1)', 'http://intranet.example.com', 'https://user:pw@intranet.example.com']) {
        const refused = await create({ catalogId: 'bookmark', displayLabel: 'Bad', bookmarkUrl: bad }).expect(422);
        expect(refused.body.code, bad).to.equal('applications.bookmark_url_invalid');
      }
      const noUrl = await create({ catalogId: 'bookmark', displayLabel: 'Later' }).expect(201);
      expect(noUrl.body).to.include({ ssoActive: false, bookmarkUrl: 'YOUR_BOOKMARK_URL' });
      const samlOnBookmark = await h.api().patch(`/api/v1/applications/${app.id}`).send({ sso: { signResponse: true } }).expect(422);
      expect(samlOnBookmark.body.code).to.equal('applications.bookmark_has_no_sso');
    });
  });
});
