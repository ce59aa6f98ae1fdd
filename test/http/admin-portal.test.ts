import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { ADMIN_PASSWORD, createApplication, createUser, csrfFrom, signIn, startGatehouse, wikiApplication, type Harness } from '../helpers/harness';
import { createSpCredential } from '../helpers/test-sp';

describe('Admin portal at /admin (through HTTP)', () => {
  let h: Harness;
  let admin: TestAgent;
  before(async () => {
    h = await startGatehouse();
    admin = (await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD)).agent;
  });
  after(async () => { await h.close(); });

  /** Submit a form of the page at `path` with its CSRF token. */
  async function submit(path: string, action: string, fields: Record<string, string | string[]>, status?: number) {
    const page = await admin.get(path).expect(200);
    const res = await admin.post(action).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
    if (status !== undefined) expect(res.status, res.text.slice(0, 400)).to.equal(status);
    return res;
  }

  it('sends anonymous visitors to sign in, refuses non-admins with a clear page, and lands admins on the app list', async () => {
    const anon = await request(h.app).get('/admin/applications').expect(303);
    expect(anon.headers.location).to.equal('/login');
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const refused = await agent.get('/admin/applications').expect(403);
    expect(refused.text).to.contain('The admin portal is for Gatehouse administrators');
    const { res } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    expect(res.headers.location).to.equal('/admin');
    const list = await admin.get('/admin/applications').expect(200);
    expect(list.headers['cache-control']).to.equal('no-store');
    expect(list.headers['content-security-policy']).to.contain("default-src 'none'");
  });

  it('refuses a form without its CSRF token and changes nothing', async () => {
    const app = await createApplication(h);
    const res = await admin.post(`/admin/applications/${app.id}/deactivate`).type('form').send({}).expect(403);
    expect(res.text).to.contain('did not come from Gatehouse');
    expect((await h.ctx.store.applications.findById(app.id))!.ssoActive).to.equal(true);
  });

  it('renders a display label with markup as text everywhere', async () => {
    const res = await submit('/admin/applications/new/custom-saml', '/admin/applications/new/custom-saml', {
      displayLabel: '<script>alert(1)</script>', description: '"><img src=x onerror=alert(1)>', image: 'logo', showInPortal: 'on', slug: 'xss-app',
    }, 200);
    expect(res.text).to.contain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.to.contain('<script>alert(1)');
    const app = (await h.ctx.store.applications.findBySlug('xss-app'))!;
    for (const path of ['/admin/applications', `/admin/applications/${app.id}`, `/admin/applications/${app.id}?tab=sso`]) {
      const page = await admin.get(path).expect(200);
      expect(page.text, path).not.to.contain('<script>alert(1)');
      expect(page.text, path).not.to.contain('<img src=x');
    }
  });

  it('keeps what the admin typed when the SSO tab is refused, and says why', async () => {
    const app = (await h.api().post('/api/v1/applications').send({ catalogId: 'monday', slug: 'monday-typed' }).expect(201)).body;
    const page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
    const form = {
      _csrf: csrfFrom(page.text), ph_YOUR_SUBDOMAIN: 'not a subdomain!', spEntityId: app.sso.spEntityId, acsUrls: app.sso.acsEndpoints[0].url,
      loginUrl: '', defaultRelayState: 'typed relay state', nameIdFormat: app.sso.nameIdFormat, nameIdSource: 'email', signing: 'both',
      signatureAlgorithm: 'rsa-sha256', attr_count: '0',
    };
    const res = await admin.post(`/admin/applications/${app.id}/sso`).type('form').send(form).expect(422);
    expect(res.text).to.contain('is not a valid Subdomain');
    expect(res.text).to.contain('value="not a subdomain!"');
    expect(res.text).to.contain('value="typed relay state"');
    expect((await h.ctx.store.applications.findById(app.id))!.placeholders).to.deep.equal({});
  });

  it('fills the SSO tab from pasted SP metadata, refusing a DOCTYPE', async () => {
    const app = await createApplication(h, wikiApplication());
    const sp = createSpCredential();
    const body = sp.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
    const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://new-sp.example/meta">
      <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
        <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://new-sp.example/redirect" index="0"/>
        <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://new-sp.example/acs-b" index="2"/>
        <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://new-sp.example/acs-a" index="1" isDefault="true"/>
      </md:SPSSODescriptor></md:EntityDescriptor>`;
    await submit(`/admin/applications/${app.id}?tab=sso`, `/admin/applications/${app.id}/sp-metadata`, { metadata }, 303);
    const updated = (await h.ctx.store.applications.findById(app.id))!;
    expect(updated.sso).to.deep.include({ spEntityId: 'https://new-sp.example/meta', requireSignedRequests: true });
    expect(updated.sso!.acsEndpoints.map((e) => [e.url, e.isDefault])).to.deep.equal([['https://new-sp.example/acs-a', true], ['https://new-sp.example/acs-b', false]]);
    expect(updated.sso!.spCertificatePem).to.contain('BEGIN CERTIFICATE');

    const evil = `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${metadata}`;
    const refused = await submit(`/admin/applications/${app.id}?tab=sso`, `/admin/applications/${app.id}/sp-metadata`, { metadata: evil });
    expect(refused.status).to.equal(400);
    expect(refused.text).to.contain('The SP metadata was not used');
  });

  it('proposes a free IdP URL for a second app of the same kind, and says the slug cannot change later', async () => {
    await h.api().post('/api/v1/applications').send({ catalogId: 'quip', slug: 'quip' }).expect(201);
    const page = await admin.get('/admin/applications/new/quip').expect(200);
    expect(page.text).to.contain('name="slug" type="text" maxlength="64"');
    expect(page.text).to.contain('value="quip-2"');
    expect(page.text).to.contain('not editable after the application is created');
    const taken = await admin.post('/admin/applications/new/quip').type('form')
      .send({ _csrf: csrfFrom(page.text), displayLabel: 'Quip', slug: 'quip', image: 'logo' }).expect(409);
    expect(taken.text).to.contain('already uses the IdP URL');
    expect(taken.text).to.contain('value="quip"');
  });

  it('changes no authorization when a checked group no longer exists, and says so', async () => {
    const app = await createApplication(h);
    const groupA = (await h.api().post('/api/v1/groups').send({ name: 'Checkbox A' }).expect(201)).body;
    const res = await submit(`/admin/applications/${app.id}?tab=groups`, `/admin/applications/${app.id}/groups`,
      { groupId: [groupA.id, 'vanished-group'], shown: [groupA.id, 'vanished-group'] });
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('no longer exists');
    expect(await h.ctx.store.applications.listBoundGroups(app.id)).to.deep.equal([]);
  });

  it('takes an http ACS URL on localhost for a Custom SAML App outside production', async () => {
    const app = (await h.api().post('/api/v1/applications').send({
      catalogId: 'custom-saml', slug: 'local-dev', placeholders: { YOUR_SP_ENTITY_ID: 'urn:dev:sp', YOUR_ACS_URL: 'http://localhost:3000/acs' },
    }).expect(201)).body;
    expect(app).to.include({ ssoActive: true });
    expect(app.sso.acsEndpoints[0].url).to.equal('http://localhost:3000/acs');
    const remote = await h.api().post('/api/v1/applications').send({
      catalogId: 'custom-saml', slug: 'remote-http', placeholders: { YOUR_SP_ENTITY_ID: 'urn:dev:sp2', YOUR_ACS_URL: 'http://wiki.example/acs' },
    }).expect(422);
    expect(remote.body.message).to.contain('must use https');
  });

  it('deletes only after the number of selected apps is typed', async () => {
    const a = await createApplication(h);
    const b = await createApplication(h);
    const confirm = await submit('/admin/applications', '/admin/applications/delete', { appId: [a.id, b.id] }, 200);
    expect(confirm.text).to.contain('Type <strong>2</strong> to confirm');
    const wrong = await admin.post('/admin/applications/delete/confirm').type('form').send({ _csrf: csrfFrom(confirm.text), appId: [a.id, b.id], count: '1' }).expect(422);
    expect(wrong.text).to.contain('Type 2 to confirm');
    expect(await h.ctx.store.applications.findById(a.id)).to.not.equal(undefined);
    await admin.post('/admin/applications/delete/confirm').type('form').send({ _csrf: csrfFrom(wrong.text), appId: [a.id, b.id], count: '2' }).expect(303);
    expect(await h.ctx.store.applications.findById(a.id)).to.equal(undefined);
    expect(await h.ctx.store.applications.findById(b.id)).to.equal(undefined);
  });

  it('manages users and groups, and authorizes an app from the group page and the user page', async () => {
    const app = await createApplication(h);
    const created = await submit('/admin/users/new', '/admin/users/new', { username: 'grace', email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', password: 'a long enough password' });
    expect(created.status).to.equal(303);
    const grace = (await h.ctx.store.users.findByLogin('grace'))!;
    const group = await submit('/admin/groups', '/admin/groups', { name: 'Navy', description: 'Compilers' }, 303);
    const navy = (await h.ctx.store.groups.list({ q: 'Navy', limit: 5, offset: 0 })).items[0];
    expect(group.headers.location).to.equal(`/admin/groups/${navy.id}?notice=group-created`);
    await submit(`/admin/groups/${navy.id}`, `/admin/groups/${navy.id}/members`, { login: 'grace@example.com' }, 303);
    await submit(`/admin/groups/${navy.id}`, `/admin/groups/${navy.id}/applications`, { appId: app.id, shown: app.id }, 303);
    expect(await h.ctx.store.applications.isUserAuthorized(app.id, grace.id)).to.equal(true);
    const userPage = await admin.get(`/admin/users/${grace.id}`).expect(200);
    expect(userPage.text).to.contain(app.displayLabel);
    // From the user's page: unchecking the group (shown on the page) takes the access away.
    await submit(`/admin/users/${grace.id}`, `/admin/users/${grace.id}/groups`, { shown: navy.id }, 303);
    expect(await h.ctx.store.applications.isUserAuthorized(app.id, grace.id)).to.equal(false);
    // Suspend and reset the password.
    await submit(`/admin/users/${grace.id}`, `/admin/users/${grace.id}`, { username: 'grace', email: 'grace@example.com', state: 'suspended' }, 303);
    expect((await h.ctx.store.users.findById(grace.id))!.state).to.equal('suspended');
    const short = await submit(`/admin/users/${grace.id}`, `/admin/users/${grace.id}/password`, { password: 'short' });
    expect(short.status).to.equal(422);
    expect(short.text).to.contain('at least 12 characters');
    const types = (await h.ctx.store.events.list({ limit: 30 })).map((e) => e.type);
    expect(types).to.include.members(['user_create', 'group_create', 'group_member_add', 'group_bind', 'group_member_remove', 'user_update']);
  });
});
