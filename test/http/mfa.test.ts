import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import {
  ADMIN_PASSWORD, authorizedUser, csrfFrom, decodeResponse, readPostForm, signIn, SP_ACS, SP_ENTITY_ID, startGatehouse, type Harness,
} from '../helpers/harness';
import { authenticatorCode } from '../helpers/authenticator';
import { acceptedBySp, ssoUrl } from '../helpers/sso';
import { buildAuthnRequestXml, toRedirectQuery } from '../helpers/test-sp';

const TIME_SYNC_TOKEN = 'urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken';

describe('Two-step sign-in (TOTP, RFC 6238)', () => {
  let h: Harness;
  beforeEach(async () => { h = await startGatehouse(); });
  afterEach(async () => { await h.close(); });

  /** Set up TOTP from the console: scan (read the key), confirm with a code; returns key and recovery codes. */
  async function enrol(agent: TestAgent) {
    const page = await agent.get('/account/mfa').expect(200);
    expect(page.text).to.contain('src="data:image/png;base64,');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.text)![1].replace(/ /g, '');
    const done = await agent.post('/account/mfa/confirm').type('form').send({ _csrf: csrfFrom(page.text), code: authenticatorCode(secret, h.clock.now()) }).expect(200);
    const codes = [...done.text.matchAll(/<li>([0-9a-f]{5}-[0-9a-f]{5})<\/li>/g)].map((m) => m[1]);
    expect(codes).to.have.length(10);
    return { secret, codes };
  }

  /** Password, then the second step; returns the agent and where it was sent. */
  async function signInWithCode(login: string, password: string, code: string, sso?: string) {
    const { agent, res } = await signIn(h, login, password, request.agent(h.app), sso);
    expect(res.headers.location).to.equal('/login/mfa');
    const page = await agent.get('/login/mfa').expect(200);
    const done = await agent.post('/login/mfa').type('form').send({ _csrf: csrfFrom(page.text), code });
    return { agent, res: done };
  }

  it('enrols from the console, then asks for the code after the password; the assertion says TimeSyncToken', async () => {
    const { app, user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const { secret } = await enrol(agent);
    const [enrolled] = await h.ctx.store.events.list({ type: 'mfa_enroll', limit: 1 });
    expect(enrolled).to.include({ outcome: 'success', targetId: user.id });
    expect(JSON.stringify(await h.ctx.store.mfa.find(user.id))).not.to.contain(secret);

    h.clock.advance(30);
    const wrong = await signInWithCode(user.username, user.password, '000000');
    expect(wrong.res.status).to.equal(422);
    expect(wrong.res.text).to.contain('That code is not right');
    const page = await wrong.agent.get('/login/mfa').expect(200);
    const ok = await wrong.agent.post('/login/mfa').type('form').send({ _csrf: csrfFrom(page.text), code: authenticatorCode(secret, h.clock.now()) }).expect(303);
    expect(ok.headers.location).to.equal('/');
    const form = readPostForm((await wrong.agent.get(`/saml2/${app.slug}`).expect(200)).text);
    expect(decodeResponse(form.samlResponse)).to.contain(`<saml:AuthnContextClassRef>${TIME_SYNC_TOKEN}</saml:AuthnContextClassRef>`);
    await acceptedBySp(h, app, form);
    const [login] = await h.ctx.store.events.list({ type: 'user_login', outcome: 'success', limit: 1 });
    expect(login.detail).to.deep.equal({ methods: ['password', 'totp'] });
  });

  it('refuses a code used once already, and lets a recovery code in exactly once', async () => {
    const { user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const { secret, codes } = await enrol(agent);
    // The enrolment code's step is spent: the same code cannot sign in.
    const replay = await signInWithCode(user.username, user.password, authenticatorCode(secret, h.clock.now()));
    expect(replay.res.status).to.equal(422);
    const recovered = await signInWithCode(user.username, user.password, codes[0].toUpperCase());
    expect(recovered.res.status).to.equal(303);
    const again = await signInWithCode(user.username, user.password, codes[0]);
    expect(again.res.status).to.equal(422);
    expect((await h.ctx.store.mfa.find(user.id))!.recoveryCodeHashes).to.have.length(9);
  });

  it('when an admin requires MFA, sign-in leads to enrolment first, then to the pending SSO request', async () => {
    const { app, user } = await authorizedUser(h);
    await h.api().patch(`/api/v1/users/${user.id}`).send({ mfaRequired: true }).expect(200);
    const agent = request.agent(h.app);
    const start = await agent.get(`/saml2/${app.slug}`).expect(303);
    const pendingId = /sso=([\w-]+)/.exec(start.headers.location)![1];
    const { res } = await signIn(h, user.username, user.password, agent, pendingId);
    expect(res.headers.location).to.equal('/account/mfa');
    // Nothing else is open until it is set up.
    expect((await agent.get('/').expect(303)).headers.location).to.equal('/account/mfa');
    expect((await agent.get(`/saml2/${app.slug}`).expect(303)).headers.location).to.equal('/account/mfa');
    const page = await agent.get('/account/mfa').expect(200);
    expect(page.text).to.contain('Your administrator requires two-step sign-in');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.text)![1].replace(/ /g, '');
    const done = await agent.post('/account/mfa/confirm').type('form').send({ _csrf: csrfFrom(page.text), code: authenticatorCode(secret, h.clock.now()) }).expect(200);
    const next = /<a class="button primary" href="([^"]+)">Continue/.exec(done.text)![1];
    expect(next).to.equal(`/saml2/${app.slug}/continue/${pendingId}`);
    const form = readPostForm((await agent.get(next).expect(200)).text);
    await acceptedBySp(h, app, form);
    // A required MFA cannot be switched off by the user.
    const account = await agent.get('/account/mfa').expect(200);
    expect(account.text).to.contain('requires it for your account');
    expect(account.text).not.to.contain('Turn off two-step sign-in');
  });

  it('the admin can require MFA for everyone from the Users page', async () => {
    const { user } = await authorizedUser(h);
    const { agent: admin } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const users = await admin.get('/admin/users').expect(200);
    await admin.post('/admin/users/mfa-policy').type('form').send({ _csrf: csrfFrom(users.text), required: 'on' }).expect(303);
    const { res } = await signIn(h, user.username, user.password);
    expect(res.headers.location).to.equal('/account/mfa');
    const [event] = await h.ctx.store.events.list({ type: 'mfa_policy_update', limit: 1 });
    expect(event.detail).to.deep.equal({ requiredForEveryone: true });
  });

  it('an SP asking for TimeSyncToken gets it after two-step sign-in and NoAuthnContext after a password alone', async () => {
    const { app, user } = await authorizedUser(h);
    const requestXml = (id: string) => buildAuthnRequestXml({
      id, issuer: SP_ENTITY_ID, destination: ssoUrl(app.slug), acsUrl: SP_ACS, issueInstant: h.clock.now(), requestedAuthnContext: [TIME_SYNC_TOKEN],
    });
    const { agent: passwordOnly } = await signIn(h, user.username, user.password);
    const refused = readPostForm((await passwordOnly.get(`/saml2/${app.slug}?${toRedirectQuery(requestXml('_ctx-a'))}`).expect(200)).text);
    await acceptedBySp(h, app, refused, { inResponseTo: '_ctx-a', expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext' });

    const { secret } = await enrol(passwordOnly);
    h.clock.advance(30);
    const { agent } = await signInWithCode(user.username, user.password, authenticatorCode(secret, h.clock.now()));
    const form = readPostForm((await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestXml('_ctx-b'))}`).expect(200)).text);
    expect(decodeResponse(form.samlResponse)).to.contain(TIME_SYNC_TOKEN);
    await acceptedBySp(h, app, form, { inResponseTo: '_ctx-b' });
  });

  it('ForceAuthn asks for the password and the code again', async () => {
    const { app, user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    const { secret } = await enrol(agent);
    h.clock.advance(30);
    const xml = buildAuthnRequestXml({ id: '_force-mfa', issuer: SP_ENTITY_ID, destination: ssoUrl(app.slug), acsUrl: SP_ACS, issueInstant: h.clock.now(), forceAuthn: true });
    const start = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).expect(303);
    expect(start.headers.location).to.contain('reason=force_authn');
    const pendingId = /sso=([\w-]+)/.exec(start.headers.location)![1];
    const { res } = await signIn(h, user.username, user.password, agent, pendingId);
    expect(res.headers.location).to.equal('/login/mfa');
    const page = await agent.get('/login/mfa').expect(200);
    const done = await agent.post('/login/mfa').type('form').send({ _csrf: csrfFrom(page.text), code: authenticatorCode(secret, h.clock.now()) }).expect(303);
    const form = readPostForm((await agent.get(done.headers.location).expect(200)).text);
    await acceptedBySp(h, app, form, { inResponseTo: '_force-mfa' });
  });

  it('an admin can reset a lost authenticator', async () => {
    const { user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    await enrol(agent);
    const { agent: admin } = await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD);
    const page = await admin.get(`/admin/users/${user.id}`).expect(200);
    expect(page.text).to.contain('Reset two-step sign-in');
    await admin.post(`/admin/users/${user.id}/mfa-reset`).type('form').send({ _csrf: csrfFrom(page.text) }).expect(303);
    expect(await h.ctx.store.mfa.find(user.id)).to.equal(undefined);
    const { res } = await signIn(h, user.username, user.password);
    expect(res.headers.location).to.equal('/');
    const [event] = await h.ctx.store.events.list({ type: 'mfa_reset', limit: 1 });
    expect(event).to.include({ actorLabel: 'admin@gatehouse.local', targetId: user.id });
  });
});
