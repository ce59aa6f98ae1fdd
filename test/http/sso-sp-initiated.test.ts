import { expect } from 'chai';
import request from 'supertest';
import { authorizedUser, decodeResponse, readPostForm, signIn, SP_ACS, SP_ENTITY_ID, startGatehouse, type Harness } from '../helpers/harness';
import { acceptedBySp, expectNothingSent, ssoUrl } from '../helpers/sso';
import { buildAuthnRequestXml, toPostForm, toRedirectQuery } from '../helpers/test-sp';

describe('SP-initiated SSO: AuthnRequest at /saml2/<slug>', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  const requestFor = (slug: string, overrides: Parameters<typeof buildAuthnRequestXml>[0] = {}) =>
    buildAuthnRequestXml({ issuer: SP_ENTITY_ID, destination: ssoUrl(slug), acsUrl: SP_ACS, issueInstant: h.clock.now(), ...overrides });

  describe('over HTTP-Redirect', () => {
    it('when the user is signed in, then the Response answers the request (InResponseTo) and RelayState comes back byte-exact', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const xml = requestFor(app.slug, { id: '_req-redirect-1' });
      const relayState = 'https://wiki.example/page?a=1&b=%20 "quoted" <tag> é';
      const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml, { relayState })}`).expect(200);
      const form = readPostForm(res.text);
      expect(form.action).to.equal(SP_ACS);
      expect(form.relayState).to.equal(relayState);
      const profile = await acceptedBySp(h, app, form, { inResponseTo: '_req-redirect-1' });
      expect(profile.nameId).to.equal(user.email);
    });

    it('when the user is not signed in, then they sign in and come back to the pending request', async () => {
      const { app, user } = await authorizedUser(h);
      const agent = request.agent(h.app);
      const start = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { id: '_req-login-1' }), { relayState: 'rs-1' })}`).expect(303);
      const pendingId = /sso=([\w-]+)/.exec(start.headers.location)![1];
      const { res } = await signIn(h, user.username, user.password, agent, pendingId);
      const post = await agent.get(res.headers.location).expect(200);
      const form = readPostForm(post.text);
      expect(form.relayState).to.equal('rs-1');
      await acceptedBySp(h, app, form, { inResponseTo: '_req-login-1' });
    });

    it('answers at the ACS the request names by index', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const xml = requestFor(app.slug, { acsUrl: undefined, acsIndex: 1 });
      const form = readPostForm((await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).expect(200)).text);
      expect(form.action).to.equal('https://wiki.example/acs2');
    });
  });

  describe('over HTTP-POST', () => {
    it('when a signed-in user arrives with a cross-site POST, then a same-site hop finds the session and no sign-in is asked', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const body = toPostForm(requestFor(app.slug, { id: '_req-post-1' }), { relayState: 'post-rs' });
      // The browser would not send a SameSite=Lax cookie on this cross-site POST: send none.
      const hop = await request(h.app).post(`/saml2/${app.slug}`).type('form').send(body).expect(303);
      expect(hop.headers.location).to.match(new RegExp(`^${ssoUrl(app.slug)}/continue/[\\w-]+$`));
      expect(hop.headers['set-cookie'] ?? []).to.deep.equal([]);
      const post = await agent.get(new URL(hop.headers.location).pathname).expect(200);
      const form = readPostForm(post.text);
      expect(form.relayState).to.equal('post-rs');
      await acceptedBySp(h, app, form, { inResponseTo: '_req-post-1' });
    });
  });

  describe('checks that refuse the request with a local page and send nothing', () => {
    const cases: { name: string; code: string; status?: number; build: (slug: string) => string }[] = [
      { name: 'an unregistered SP (Issuer)', code: 'saml.issuer_unknown', build: (s) => toRedirectQuery(requestFor(s, { issuer: 'https://evil.example/sp' })) },
      { name: 'no Issuer', code: 'saml.issuer_missing', build: (s) => toRedirectQuery(requestFor(s, { issuer: null })) },
      { name: 'an unregistered ACS URL', code: 'saml.acs_url_mismatch', build: (s) => toRedirectQuery(requestFor(s, { acsUrl: 'https://evil.example/acs' })) },
      { name: 'an ACS URL differing only by a trailing slash', code: 'saml.acs_url_mismatch', build: (s) => toRedirectQuery(requestFor(s, { acsUrl: `${SP_ACS}/` })) },
      { name: 'an unknown ACS index', code: 'saml.acs_index_unknown', build: (s) => toRedirectQuery(requestFor(s, { acsUrl: undefined, acsIndex: 7 })) },
      { name: 'a Destination that is not this endpoint', code: 'saml.destination_mismatch', build: (s) => toRedirectQuery(requestFor(s, { destination: 'http://gatehouse.test/saml2/other' })) },
      { name: 'a request older than lifetime + skew', code: 'saml.request_expired', build: (s) => toRedirectQuery(requestFor(s, { issueInstant: new Date(h.clock.now().getTime() - 400_000) })) },
      { name: 'a request from the future', code: 'saml.request_from_future', build: (s) => toRedirectQuery(requestFor(s, { issueInstant: new Date(h.clock.now().getTime() + 400_000) })) },
      { name: 'a DOCTYPE', code: 'saml.doctype_forbidden', build: (s) => toRedirectQuery(`<!DOCTYPE x [<!ENTITY a "b">]>${requestFor(s)}`) },
      { name: 'a SAMLRequest that is not base64', code: 'saml.bad_encoding', build: () => 'SAMLRequest=%%%%not-base64' },
    ];
    for (const c of cases) {
      it(`when the request has ${c.name}, then it answers ${c.status ?? 400} ${c.code}`, async () => {
        const { app, user } = await authorizedUser(h);
        const { agent } = await signIn(h, user.username, user.password);
        const res = await agent.get(`/saml2/${app.slug}?${c.build(app.slug)}`).set('Accept', 'text/html');
        expect(res.status).to.equal(c.status ?? 400);
        expect(res.text).to.contain(c.code);
        await expectNothingSent(h, app, res, c.code);
      });
    }

    it('when the same request ID comes twice, then the second is refused as a replay', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const query = toRedirectQuery(requestFor(app.slug, { id: '_replayed-1' }));
      await agent.get(`/saml2/${app.slug}?${query}`).expect(200);
      const res = await agent.get(`/saml2/${app.slug}?${query}`).expect(400);
      expect(res.text).to.contain('saml.request_replayed');
      await expectNothingSent(h, app, res, 'saml.request_replayed');
    });

    it('when the inflated request exceeds the size limit, then it answers 413 quickly', async () => {
      const { app } = await authorizedUser(h);
      const huge = requestFor(app.slug, { extraXml: `<samlp:Extensions>${'<x/>'.repeat(100_000)}</samlp:Extensions>` });
      const started = Date.now();
      const res = await request(h.app).get(`/saml2/${app.slug}?${toRedirectQuery(huge)}`).expect(413);
      expect(Date.now() - started).to.be.below(1000);
      expect(res.text).to.contain('saml.message_too_large');
    });

    it('when the page is asked for as JSON, then the same refusal is JSON', async () => {
      const { app } = await authorizedUser(h);
      const res = await request(h.app).get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { issuer: 'https://evil.example/sp' }))}`)
        .set('Accept', 'application/json').expect(400);
      expect(res.body).to.include({ code: 'saml.issuer_unknown' });
    });
  });

  describe('requests that the SP may not get what it asked for: a signed SAML error to the verified ACS', () => {
    it('when IsPassive is set and nobody is signed in, then the SP gets NoPassive', async () => {
      const { app } = await authorizedUser(h);
      const res = await request(h.app).get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { id: '_passive-1', isPassive: true }))}`).expect(200);
      const form = readPostForm(res.text);
      expect(form.action).to.equal(SP_ACS);
      const xml = decodeResponse(form.samlResponse);
      expect(xml).to.contain('urn:oasis:names:tc:SAML:2.0:status:NoPassive');
      expect(xml).to.contain('InResponseTo="_passive-1"');
      expect(xml).not.to.contain('Assertion');
      await acceptedBySp(h, app, form, { inResponseTo: '_passive-1', expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive' });
    });

    it('when the NameIDPolicy asks for a format the app does not use, then the SP gets InvalidNameIDPolicy', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const xml = requestFor(app.slug, { nameIdPolicyFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' });
      const form = readPostForm((await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).expect(200)).text);
      expect(decodeResponse(form.samlResponse)).to.contain('InvalidNameIDPolicy');
      await acceptedBySp(h, app, form, { expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:InvalidNameIDPolicy' });
    });
  });

  describe('RequestedAuthnContext', () => {
    it('when the SP asks for Password exactly, then the assertion says Password', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const xml = requestFor(app.slug, { id: '_ctx-1', requestedAuthnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:Password'] });
      const form = readPostForm((await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).expect(200)).text);
      expect(decodeResponse(form.samlResponse)).to.contain('<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef>');
      await acceptedBySp(h, app, form, { inResponseTo: '_ctx-1' });
    });

    it('when the SP asks for a context Gatehouse cannot truthfully state, then the SP gets NoAuthnContext', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      const xml = requestFor(app.slug, { id: '_ctx-2', requestedAuthnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:X509'] });
      const form = readPostForm((await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).expect(200)).text);
      expect(form.action).to.equal(SP_ACS);
      await acceptedBySp(h, app, form, { inResponseTo: '_ctx-2', expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext' });
    });
  });

  describe('ForceAuthn', () => {
    it('when a signed-in user gets ForceAuthn, then they must enter their password again before a Response is sent', async () => {
      const { app, user } = await authorizedUser(h);
      const { agent } = await signIn(h, user.username, user.password);
      h.clock.advance(5);
      const start = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { id: '_force-1', forceAuthn: true }))}`).expect(303);
      expect(start.headers.location).to.match(/\/login\?sso=[\w-]+&reason=force_authn/);
      const pendingId = /sso=([\w-]+)/.exec(start.headers.location)![1];
      // Skipping the prompt does not work: the continue URL sends the user back to sign in.
      const skip = await agent.get(`/saml2/${app.slug}/continue/${pendingId}`).expect(303);
      expect(skip.headers.location).to.contain('reason=force_authn');
      const page = await agent.get(start.headers.location).expect(200);
      expect(page.text).to.contain('confirm your password');
      h.clock.advance(5);
      const { res } = await signIn(h, user.username, user.password, agent, pendingId);
      const form = readPostForm((await agent.get(res.headers.location).expect(200)).text);
      await acceptedBySp(h, app, form, { inResponseTo: '_force-1' });
    });
  });
});
