import { expect } from 'chai';
import request from 'supertest';
import {
  ADMIN_TOKEN, createApplication, createGroup, createUser, startGatehouse, wikiApplication, type Harness,
} from '../helpers/harness';

describe('Admin REST API /api/v1', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  describe('authentication', () => {
    it('when no token is sent, then it answers 401 with a JSON error that says how to authenticate', async () => {
      const res = await request(h.app).get('/api/v1/users').expect(401);
      expect(res.body).to.include({ code: 'api.unauthorized' });
      expect(res.body.message).to.match(/Bearer/);
    });

    it('when a wrong token is sent, then it answers 401', async () => {
      await request(h.app).get('/api/v1/users').set('Authorization', `Bearer ${ADMIN_TOKEN}x`).expect(401);
    });

    it('when GATEHOUSE_ADMIN_TOKEN is unset, then the API says it is disabled', async () => {
      const other = await startGatehouse({ GATEHOUSE_ADMIN_TOKEN: '' });
      try {
        const res = await request(other.app).get('/api/v1/users').set('Authorization', `Bearer ${ADMIN_TOKEN}`).expect(401);
        expect(res.body.code).to.equal('api.disabled');
      } finally {
        await other.close();
      }
    });
  });

  describe('users', () => {
    it('creates, reads, updates, lists and deletes a user, recording an event for each change', async () => {
      const user = await createUser(h, { title: 'Engineer', employeeId: 'E-1' });
      expect(user).to.include({ title: 'Engineer', employeeId: 'E-1', state: 'active', isAdmin: false });
      expect(user).not.to.have.property('password_hash');
      expect(JSON.stringify(user)).not.to.match(/argon2/);

      const patched = await h.api().patch(`/api/v1/users/${user.id}`).send({ state: 'suspended', title: 'Lead' }).expect(200);
      expect(patched.body).to.include({ state: 'suspended', title: 'Lead' });

      const list = await h.api().get(`/api/v1/users?q=${user.username}`).expect(200);
      expect(list.body.items.map((u: { id: string }) => u.id)).to.deep.equal([user.id]);

      await h.api().delete(`/api/v1/users/${user.id}`).expect(204);
      await h.api().get(`/api/v1/users/${user.id}`).expect(404);

      const events = await h.api().get(`/api/v1/events?targetId=${user.id}`).expect(200);
      expect(events.body.items.map((e: { type: string }) => e.type)).to.deep.equal(['user_delete', 'user_update', 'user_create']);
      expect(events.body.items[0]).to.include({ actorType: 'api', outcome: 'success' });
    });

    it('when the username is taken (in any case), then it answers 409 and stores nothing new', async () => {
      const user = await createUser(h);
      const before = (await h.api().get('/api/v1/users').expect(200)).body.total;
      const res = await h.api().post('/api/v1/users').send({ username: user.username.toUpperCase(), email: 'other@example.com' }).expect(409);
      expect(res.body).to.deep.include({ code: 'conflict.duplicate', message: 'That username is already taken.' });
      expect((await h.api().get('/api/v1/users').expect(200)).body.total).to.equal(before);
    });

    it('when fields are invalid, then it answers 422 naming each field', async () => {
      const res = await h.api().post('/api/v1/users').send({ username: 'bad name', email: 'nope', password: 'short' }).expect(422);
      expect(res.body.code).to.equal('request.invalid');
      expect(res.body.message).to.match(/username/).and.to.match(/email/).and.to.match(/password/);
    });

    it('when a profile value holds a character XML cannot carry, then it is refused at save time', async () => {
      const res = await h.api().post('/api/v1/users').send({ username: 'ctrl', email: 'ctrl@example.com', title: 'bad\u0001title' }).expect(422);
      expect(res.body.message).to.match(/title: contains a control character/);
    });

    it('when an unknown field is sent, then it is refused rather than silently ignored', async () => {
      const res = await h.api().post('/api/v1/users').send({ username: 'x1', email: 'x1@example.com', role: 'admin' }).expect(422);
      expect(res.body.message).to.match(/role/);
    });

    it('when the body is not JSON, then it answers 400 with a JSON error', async () => {
      const res = await h.api().post('/api/v1/users').set('Content-Type', 'application/json').send('{"username":').expect(400);
      expect(res.body.code).to.equal('request.invalid_json');
    });

    it('sets a password that then signs the user in, and refuses a short one', async () => {
      const user = await createUser(h);
      await h.api().put(`/api/v1/users/${user.id}/password`).send({ password: 'short' }).expect(422);
      await h.api().put(`/api/v1/users/${user.id}/password`).send({ password: 'a brand new long password' }).expect(204);
      const hash = await h.ctx.store.users.getPasswordHash(user.id);
      expect(hash).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });

    it('refuses to delete or demote the last admin', async () => {
      const admins = (await h.api().get('/api/v1/users?q=admin@gatehouse.local').expect(200)).body.items;
      expect(admins).to.have.length(1);
      const res = await h.api().delete(`/api/v1/users/${admins[0].id}`).expect(409);
      expect(res.body.code).to.equal('users.last_admin');
      await h.api().patch(`/api/v1/users/${admins[0].id}`).send({ isAdmin: false }).expect(409);
    });

    it('refuses to suspend the last active admin, and counts only active admins as the one that remains', async () => {
      const admins = (await h.api().get('/api/v1/users?q=admin@gatehouse.local').expect(200)).body.items;
      const res = await h.api().patch(`/api/v1/users/${admins[0].id}`).send({ state: 'suspended' }).expect(409);
      expect(res.body.code).to.equal('users.last_admin');
      expect((await h.ctx.store.users.findById(admins[0].id))!.state).to.equal('active');
      // A suspended admin cannot sign in: it does not let the last active one go.
      const other = (await h.api().post('/api/v1/users').send({ username: 'standby', email: 'standby@example.com', isAdmin: true }).expect(201)).body;
      await h.api().patch(`/api/v1/users/${other.id}`).send({ state: 'suspended' }).expect(200);
      await h.api().patch(`/api/v1/users/${admins[0].id}`).send({ isAdmin: false }).expect(409);
      await h.api().delete(`/api/v1/users/${admins[0].id}`).expect(409);
      // With the standby active again, either may go.
      await h.api().patch(`/api/v1/users/${other.id}`).send({ state: 'active' }).expect(200);
      await h.api().patch(`/api/v1/users/${admins[0].id}`).send({ state: 'suspended' }).expect(200);
      await h.api().patch(`/api/v1/users/${admins[0].id}`).send({ state: 'active' }).expect(200);
    });
  });

  describe('groups and memberships', () => {
    it('adds and removes members and lists them', async () => {
      const group = await createGroup(h);
      const user = await createUser(h);
      await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
      let members = await h.api().get(`/api/v1/groups/${group.id}/members`).expect(200);
      expect(members.body.items.map((u: { id: string }) => u.id)).to.deep.equal([user.id]);
      const detail = await h.api().get(`/api/v1/users/${user.id}`).expect(200);
      expect(detail.body.groups.map((g: { name: string }) => g.name)).to.deep.equal([group.name]);
      await h.api().delete(`/api/v1/groups/${group.id}/members/${user.id}`).expect(204);
      members = await h.api().get(`/api/v1/groups/${group.id}/members`).expect(200);
      expect(members.body.items).to.deep.equal([]);
      const again = await h.api().delete(`/api/v1/groups/${group.id}/members/${user.id}`).expect(404);
      expect(again.body.code).to.equal('groups.not_a_member');
    });

    it('renames and deletes a group; a member of an unknown group is a 404', async () => {
      const group = await createGroup(h);
      const renamed = await h.api().patch(`/api/v1/groups/${group.id}`).send({ name: 'Renamed team' }).expect(200);
      expect(renamed.body.name).to.equal('Renamed team');
      await h.api().delete(`/api/v1/groups/${group.id}`).expect(204);
      const user = await createUser(h);
      const res = await h.api().put(`/api/v1/groups/${group.id}/members/${user.id}`).expect(404);
      expect(res.body.code).to.equal('groups.not_found');
    });
  });

  describe('applications', () => {
    it('creates an application from the issue example and returns its URLs', async () => {
      const app = await createApplication(h, wikiApplication({ slug: 'wiki' }));
      expect(app).to.deep.include({ slug: 'wiki', displayLabel: 'Wiki', catalogId: 'custom-saml', ssoActive: true });
      expect((app as unknown as { urls: Record<string, string> }).urls).to.deep.equal({
        ssoUrl: 'http://gatehouse.test/saml2/wiki',
        metadataUrl: 'http://gatehouse.test/saml2/wiki/metadata',
        certificateUrl: 'http://gatehouse.test/saml2/wiki/certificate.pem',
      });
      expect(app.sso.acsEndpoints).to.deep.equal([
        { url: 'https://wiki.example/acs', index: 0, isDefault: true },
        { url: 'https://wiki.example/acs2', index: 1, isDefault: false },
      ]);
      expect(app.sso.idpEntityId).to.equal('http://gatehouse.test/saml2/wiki');
    });

    it('derives the slug from the display label when none is given', async () => {
      const body = wikiApplication({ displayLabel: 'Team Wiki (EU)' });
      delete (body as { slug?: string }).slug;
      const app = await createApplication(h, body);
      expect(app.slug).to.equal('team-wiki-eu');
    });

    it('refuses to change the slug after creation, with a message that says why', async () => {
      const app = await createApplication(h);
      const res = await h.api().patch(`/api/v1/applications/${app.id}`).send({ slug: 'renamed' }).expect(409);
      expect(res.body.code).to.equal('applications.slug_immutable');
      expect(res.body.message).to.match(/cannot change after the application is created/);
      expect((await h.api().get(`/api/v1/applications/${app.id}`).expect(200)).body.slug).to.equal(app.slug);
    });

    it('updates only the SSO fields that were sent', async () => {
      const app = await createApplication(h);
      const res = await h.api().patch(`/api/v1/applications/${app.id}`).send({ sso: { signResponse: true } }).expect(200);
      expect(res.body.sso).to.deep.include({ signResponse: true, signAssertion: true, spEntityId: app.sso.spEntityId });
      expect(res.body.sso.acsEndpoints).to.deep.equal(app.sso.acsEndpoints);
    });

    for (const [label, acsUrl] of [
      ['javascript: URLs', 'JavaScript:alert(1)'], ['data: URLs', 'data:text/html,x'], ['plain http to a remote host', 'http://wiki.example/acs'],
      ['URLs with credentials', 'https://user:pw@wiki.example/acs'], ['URLs with a fragment', 'https://wiki.example/acs#x'], ['relative URLs', '/acs'],
    ] as const) {
      it(`refuses ${label} as ACS URLs and stores nothing`, async () => {
        const before = (await h.api().get('/api/v1/applications').expect(200)).body.total;
        const res = await h.api().post('/api/v1/applications').send(wikiApplication({}, { acsUrls: [acsUrl] })).expect(422);
        expect(res.body.message).to.match(/sso\.acsUrls\.0/);
        expect((await h.api().get('/api/v1/applications').expect(200)).body.total).to.equal(before);
      });
    }

    it('refuses an application that would sign nothing, and signed requests without an SP certificate', async () => {
      let res = await h.api().post('/api/v1/applications').send(wikiApplication({}, { signAssertion: false, signResponse: false })).expect(422);
      expect(res.body.code).to.equal('applications.unsigned');
      res = await h.api().post('/api/v1/applications').send(wikiApplication({}, { requireSignedRequests: true })).expect(422);
      expect(res.body.code).to.equal('applications.sp_certificate_required');
    });

    it('refuses attribute names that could break the assertion', async () => {
      const res = await h.api().post('/api/v1/applications')
        .send(wikiApplication({ attributes: [{ name: 'a"><x', source: 'email' }] })).expect(422);
      expect(res.body.message).to.match(/attributes\.0\.name/);
    });

    it('refuses a slug already in use with 409', async () => {
      const app = await createApplication(h);
      const res = await h.api().post('/api/v1/applications').send(wikiApplication({ slug: app.slug })).expect(409);
      expect(res.body.code).to.equal('applications.slug_taken');
    });

    it('binds and unbinds groups, deactivates, and deletes, recording each change', async () => {
      const app = await createApplication(h);
      const group = await createGroup(h);
      await h.api().put(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
      const bound = await h.api().get(`/api/v1/applications/${app.id}/groups`).expect(200);
      expect(bound.body.items.map((g: { id: string }) => g.id)).to.deep.equal([group.id]);
      await h.api().delete(`/api/v1/applications/${app.id}/groups/${group.id}`).expect(204);
      await h.api().patch(`/api/v1/applications/${app.id}`).send({ ssoActive: false }).expect(200);
      await h.api().delete(`/api/v1/applications/${app.id}`).expect(204);
      await h.api().get(`/api/v1/applications/${app.id}`).expect(404);
      const events = await h.api().get(`/api/v1/events?appId=${app.id}`).expect(200);
      expect(events.body.items.map((e: { type: string }) => e.type)).to.deep.equal([
        'application_delete', 'sso_deactivate', 'application_update', 'group_unbind', 'group_bind', 'application_create',
      ]);
    });

    it('gives an application its own generated signing key when asked', async () => {
      const app = await createApplication(h, wikiApplication({ signingKey: 'generate' }));
      expect(app.signingKeyId).to.be.a('string');
      const own = await request(h.app).get(`/saml2/${app.slug}/certificate.pem`).expect(200);
      const shared = await request(h.app).get(`/saml2/${(await createApplication(h)).slug}/certificate.pem`).expect(200);
      expect(own.text).to.match(/BEGIN CERTIFICATE/);
      expect(own.text).not.to.equal(shared.text);
    });

    it('serves the metadata through the API too', async () => {
      const app = await createApplication(h);
      const res = await h.api().get(`/api/v1/applications/${app.id}/metadata`).expect(200);
      expect(res.headers['content-type']).to.match(/application\/samlmetadata\+xml/);
      expect(res.text).to.contain(`entityID="${app.sso.idpEntityId}"`);
    });
  });

  describe('events', () => {
    it('filters by type and outcome and pages with `before`', async () => {
      for (let i = 0; i < 3; i++) await createGroup(h);
      const first = await h.api().get('/api/v1/events?type=group_create&outcome=success&limit=2').expect(200);
      expect(first.body.items).to.have.length(2);
      expect(first.body.next).to.be.a('number');
      const second = await h.api().get(`/api/v1/events?type=group_create&limit=2&before=${first.body.next}`).expect(200);
      expect(second.body.items[0].id).to.be.below(first.body.items[1].id);
      const bad = await h.api().get('/api/v1/events?since=yesterday').expect(422);
      expect(bad.body.message).to.match(/since/);
    });
  });
});
