import { expect } from 'chai';
import request from 'supertest';
import {
  authorizedUser, createApplication, createUser, decodeResponse, readPostForm, signIn, SP_ACS, SP_ENTITY_ID,
  startGatehouse, wikiApplication, type Harness,
} from '../helpers/harness';
import { acceptedBySp } from '../helpers/sso';

describe('IdP-initiated SSO: GET /saml2/<slug>', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  it('when an authorized user is signed in, then a signed Response goes to the default ACS with the default RelayState', async () => {
    const { app, user, group } = await authorizedUser(h, wikiApplication({}, { defaultRelayState: 'https://wiki.example/home?x=1&y=2' }));
    const { agent } = await signIn(h, user.username, user.password);
    const res = await agent.get(`/saml2/${app.slug}`).expect(200);
    const form = readPostForm(res.text);
    expect(form.action).to.equal(SP_ACS);
    expect(form.relayState).to.equal('https://wiki.example/home?x=1&y=2');
    const xml = decodeResponse(form.samlResponse);
    expect(xml).not.to.contain('InResponseTo');
    const profile = await acceptedBySp(h, app, form);
    expect(profile.nameId).to.equal(user.email);
    expect(profile.attributes).to.deep.include({ email: user.email, groups: group.name, plan: 'enterprise' });
  });

  it('when the user is not signed in, then they sign in and land at the SP without a second click', async () => {
    const { app, user } = await authorizedUser(h);
    const agent = request.agent(h.app);
    const start = await agent.get(`/saml2/${app.slug}`).expect(303);
    const pendingId = /\/login\?sso=([\w-]+)/.exec(start.headers.location)?.[1];
    expect(pendingId, start.headers.location).to.be.a('string');
    const login = await agent.get(start.headers.location).expect(200);
    expect(login.text).to.contain('to continue to <strong>Wiki</strong>');
    const { res } = await signIn(h, user.email, user.password, agent, pendingId);
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/saml2/${app.slug}/continue/${pendingId}`);
    const post = await agent.get(res.headers.location).expect(200);
    await acceptedBySp(h, app, readPostForm(post.text));
    // The pending request is single-use.
    const again = await agent.get(res.headers.location).expect(400);
    expect(again.text).to.contain('sso.pending_unknown');
  });

  it('when the user is in no bound group, then a clear "no access" page is shown, nothing is signed, and the attempt is recorded', async () => {
    const app = await createApplication(h);
    const user = await createUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const res = await agent.get(`/saml2/${app.slug}`).expect(403);
    expect(res.text).to.contain('You do not have access to Wiki');
    expect(res.text).not.to.contain('SAMLResponse');
    const events = await h.ctx.store.events.list({ appId: app.id, type: 'sso_auth', limit: 5 });
    expect(events[0]).to.include({ outcome: 'failure', reason: 'sso.not_authorized', actorId: user.id });
  });

  it('when the app is deactivated, then the SSO URL refuses with a clear page', async () => {
    const { app, user } = await authorizedUser(h);
    await h.api().patch(`/api/v1/applications/${app.id}`).send({ ssoActive: false }).expect(200);
    const { agent } = await signIn(h, user.username, user.password);
    const res = await agent.get(`/saml2/${app.slug}`).expect(403);
    expect(res.text).to.contain('switched off');
    expect(res.text).not.to.contain('SAMLResponse');
  });

  it('when the slug is unknown, then it answers 404', async () => {
    const res = await request(h.app).get('/saml2/no-such-app').expect(404);
    expect(res.text).to.contain('no application at this address');
  });

  it('when a user is suspended after signing in, then the next launch sends nothing', async () => {
    const { app, user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    await h.api().patch(`/api/v1/users/${user.id}`).send({ state: 'suspended' }).expect(200);
    const res = await agent.get(`/saml2/${app.slug}`).expect(303);
    expect(res.headers.location).to.match(/^\/login\?sso=/);
  });

  for (const [label, sso] of [
    ['the response only', { signAssertion: false, signResponse: true }],
    ['both the response and the assertion', { signAssertion: true, signResponse: true }],
    ['the assertion with RSA-SHA512', { signatureAlgorithm: 'rsa-sha512' }],
  ] as const) {
    it(`when the app signs ${label}, then the independent SP and xmlsec1 accept it`, async () => {
      const { app, user } = await authorizedUser(h, wikiApplication({}, sso));
      const { agent } = await signIn(h, user.username, user.password);
      const form = readPostForm((await agent.get(`/saml2/${app.slug}`).expect(200)).text);
      const xml = decodeResponse(form.samlResponse);
      if ((sso as Record<string, unknown>).signatureAlgorithm === 'rsa-sha512') expect(xml).to.contain('xmldsig-more#rsa-sha512');
      await acceptedBySp(h, app, form);
    });
  }

  it('escapes user values so they cannot add attributes (CVE-2026-46490 shape)', async () => {
    const evil = 'x</saml:AttributeValue></saml:Attribute><saml:Attribute Name="role"><saml:AttributeValue>admin';
    const { app, user } = await authorizedUser(h, wikiApplication({ attributes: [{ name: 'title', source: 'title' }] }));
    await h.api().patch(`/api/v1/users/${user.id}`).send({ title: evil }).expect(200);
    const { agent } = await signIn(h, user.username, user.password);
    const form = readPostForm((await agent.get(`/saml2/${app.slug}`).expect(200)).text);
    const profile = await acceptedBySp(h, app, form);
    expect(profile.attributes).to.deep.equal({ title: evil });
  });

  it('uses the NameID format and source the app asks for', async () => {
    const { app, user } = await authorizedUser(h, wikiApplication({}, {
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified', nameIdSource: 'username',
    }));
    const { agent } = await signIn(h, user.username, user.password);
    const form = readPostForm((await agent.get(`/saml2/${app.slug}`).expect(200)).text);
    const profile = await acceptedBySp(h, app, form);
    expect(profile.nameId).to.equal(user.username);
    expect(profile.nameIdFormat).to.equal('urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified');
  });

  it('renders a form that works without JavaScript and under a strict CSP', async () => {
    const { app, user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const res = await agent.get(`/saml2/${app.slug}`).expect(200);
    const csp = String(res.headers['content-security-policy']);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).to.be.a('string');
    expect(csp).to.contain("form-action https://wiki.example");
    expect(csp).to.contain("default-src 'none'");
    expect(res.text).to.contain(`<script nonce="${nonce}">`);
    expect(res.text).to.match(/<button type="submit"[^>]*>Continue to Wiki<\/button>/);
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('records the launch as an sso_auth success without the SAML message', async () => {
    const { app, user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    await agent.get(`/saml2/${app.slug}`).expect(200);
    const [event] = await h.ctx.store.events.list({ appId: app.id, type: 'sso_auth', limit: 1 });
    expect(event).to.include({ outcome: 'success', actorId: user.id, targetId: app.id });
    expect(event.detail).to.deep.include({ initiatedBy: 'idp', acsUrl: SP_ACS });
    expect(JSON.stringify(event)).not.to.match(/SAMLResponse|PHNhbWxw/);
    expect(event.clientIp).to.be.a('string');
    expect(SP_ENTITY_ID).to.equal(app.sso.spEntityId);
  });
});
