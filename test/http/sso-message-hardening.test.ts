import { expect } from 'chai';
import request from 'supertest';
import { authorizedUser, createUser, decodeResponse, readPostForm, signIn, SP_ACS, SP_ENTITY_ID, startGatehouse, type Harness } from '../helpers/harness';
import { acceptedBySp, expectNothingSent, ssoUrl } from '../helpers/sso';
import { buildAuthnRequestXml, toPostForm, toRedirectQuery } from '../helpers/test-sp';

/**
 * Issue 9 items 1–7: SAML messages built by hand. What is not a well-formed SAMLRequest is never
 * taken for an IdP-initiated launch; what a registered SP asks for and cannot get is answered with
 * a signed SAML status at the verified ACS; a request naming another subject never yields an
 * assertion for the signed-in user.
 */
describe('SSO message handling at /saml2/<slug> (issue 9 items 1–7)', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  const requestFor = (slug: string, overrides: Parameters<typeof buildAuthnRequestXml>[0] = {}) =>
    buildAuthnRequestXml({ issuer: SP_ENTITY_ID, destination: ssoUrl(slug), acsUrl: SP_ACS, issueInstant: h.clock.now(), ...overrides });
  const validQuery = (slug: string) => toRedirectQuery(requestFor(slug));

  async function signedInAtApp() {
    const { app, user } = await authorizedUser(h);
    const { agent } = await signIn(h, user.username, user.password);
    return { app, user, agent };
  }

  describe('item 1: a SAML parameter that is not a well-formed SAMLRequest is never a launch', () => {
    const getCases: { name: string; code: string; query: (slug: string) => string }[] = [
      { name: 'a bracketed SAMLRequest[x]', code: 'saml.malformed_parameter', query: () => 'SAMLRequest[x]=1' },
      { name: 'an array form SAMLRequest[] (URL-encoded brackets)', code: 'saml.malformed_parameter', query: (s) => validQuery(s).replace('SAMLRequest=', 'SAMLRequest%5B%5D=') },
      { name: 'a lower-case samlrequest', code: 'saml.malformed_parameter', query: (s) => validQuery(s).replace('SAMLRequest=', 'samlrequest=') },
      { name: 'only a SAMLResponse', code: 'saml.response_not_accepted', query: () => 'SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D' },
      { name: 'a SAMLart artifact', code: 'saml.artifact_unsupported', query: () => 'SAMLart=AAQAAMFbLinlXaCM%2BFIxiDwGOLAy2T71gbpO7ZhNzAgEANlB90ECfpNEVLg%3D' },
      { name: 'a Signature without a request', code: 'saml.signature_without_request', query: () => 'SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature=AAAA' },
      { name: 'a RelayState without a request', code: 'saml.relay_state_without_request', query: () => 'RelayState=https%3A%2F%2Fwiki.example%2Fpage' },
      { name: 'an empty SAMLRequest', code: 'saml.missing_request', query: () => 'SAMLRequest=' },
    ];
    for (const c of getCases) {
      it(`when a GET carries ${c.name}, then it answers 400 ${c.code} and signs nothing`, async () => {
        const { app, agent } = await signedInAtApp();
        const res = await agent.get(`/saml2/${app.slug}?${c.query(app.slug)}`).set('Accept', 'text/html');
        expect(res.status).to.equal(400);
        expect(res.text).to.contain(c.code);
        await expectNothingSent(h, app, res, c.code);
      });
    }

    const postCases: { name: string; code: string; body: (slug: string) => Record<string, string> }[] = [
      { name: 'only a SAMLResponse', code: 'saml.response_not_accepted', body: () => ({ SAMLResponse: 'PHNhbWxwOlJlc3BvbnNlLz4=' }) },
      { name: 'a bracketed SAMLRequest[x]', code: 'saml.malformed_parameter', body: (s) => ({ 'SAMLRequest[x]': toPostForm(requestFor(s)).SAMLRequest }) },
      { name: 'a Signature without a request', code: 'saml.signature_without_request', body: () => ({ Signature: 'AAAA' }) },
    ];
    for (const c of postCases) {
      it(`when a POST carries ${c.name}, then it answers 400 ${c.code} and signs nothing`, async () => {
        const { app, agent } = await signedInAtApp();
        const res = await agent.post(`/saml2/${app.slug}`).type('form').send(c.body(app.slug)).set('Accept', 'text/html');
        expect(res.status).to.equal(400);
        expect(res.text).to.contain(c.code);
        await expectNothingSent(h, app, res, c.code);
      });
    }

    it('when a POST carries its SAMLRequest in the address instead of the body, then it is refused', async () => {
      const { app, agent } = await signedInAtApp();
      const res = await agent.post(`/saml2/${app.slug}?${validQuery(app.slug)}`).type('form').send({}).set('Accept', 'text/html');
      expect(res.status).to.equal(400);
      await expectNothingSent(h, app, res, 'saml.malformed_parameter');
    });

    it('when the address carries only parameters of no SAML binding, then the launch still works', async () => {
      const { app, agent } = await signedInAtApp();
      const res = await agent.get(`/saml2/${app.slug}?utm_source=portal`).expect(200);
      await acceptedBySp(h, app, readPostForm(res.text));
    });
  });

  describe('item 2: both SAMLRequest and SAMLResponse', () => {
    it('when a GET carries both, then it is refused as ambiguous', async () => {
      const { app, agent } = await signedInAtApp();
      const res = await agent.get(`/saml2/${app.slug}?${validQuery(app.slug)}&SAMLResponse=PHg%2BPC94Pg%3D%3D`).set('Accept', 'text/html');
      expect(res.status).to.equal(400);
      await expectNothingSent(h, app, res, 'saml.ambiguous_message');
    });

    it('when a POST carries both, then it is refused as ambiguous', async () => {
      const { app, agent } = await signedInAtApp();
      const body = { ...toPostForm(requestFor(app.slug)), SAMLResponse: 'PHg+PC94Pg==' };
      const res = await agent.post(`/saml2/${app.slug}`).type('form').send(body).set('Accept', 'text/html');
      expect(res.status).to.equal(400);
      await expectNothingSent(h, app, res, 'saml.ambiguous_message');
    });
  });

  describe('item 3: nothing but the root element', () => {
    const shapes: { name: string; wrap: (xml: string) => string }[] = [
      { name: 'text after the root', wrap: (xml) => `${xml}trailing` },
      { name: 'an element after the root', wrap: (xml) => `${xml}<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>` },
      { name: 'an entity reference after the root', wrap: (xml) => `${xml}&amp;` },
      { name: 'text before the root', wrap: (xml) => `junk${xml}` },
    ];
    for (const shape of shapes) {
      it(`when the XML has ${shape.name}, then it is refused as malformed`, async () => {
        const { app, agent } = await signedInAtApp();
        const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(shape.wrap(requestFor(app.slug)))}`).set('Accept', 'text/html');
        expect(res.status).to.equal(400);
        await expectNothingSent(h, app, res, 'saml.malformed_xml');
      });
    }
  });

  describe('item 4: Version other than 2.0', () => {
    for (const [version, second] of [['3.0', 'RequestVersionTooHigh'], ['1.1', 'RequestVersionTooLow']] as const) {
      it(`when a registered SP sends Version="${version}", then it gets a signed VersionMismatch (${second}) at its ACS`, async () => {
        const { app, agent } = await signedInAtApp();
        const xml = requestFor(app.slug, { id: `_version-${version.replace('.', '')}` }).replace('Version="2.0"', `Version="${version}"`);
        const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).expect(200);
        const form = readPostForm(res.text);
        expect(form.action).to.equal(SP_ACS);
        const response = decodeResponse(form.samlResponse);
        expect(response).to.match(/<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:VersionMismatch"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:[A-Za-z]+"/);
        expect(response).to.contain(`urn:oasis:names:tc:SAML:2.0:status:${second}`);
        expect(response).not.to.contain('Assertion');
        await acceptedBySp(h, app, form, { inResponseTo: `_version-${version.replace('.', '')}`, expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch' });
      });
    }

    it('when an unregistered SP sends another Version, then nothing is posted anywhere', async () => {
      const { app, agent } = await signedInAtApp();
      const xml = requestFor(app.slug, { issuer: 'https://evil.example/sp' }).replace('Version="2.0"', 'Version="3.0"');
      const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(xml)}`).set('Accept', 'text/html');
      expect(res.status).to.equal(400);
      await expectNothingSent(h, app, res, 'saml.issuer_unknown');
    });
  });

  describe('item 5: the Issuer is compared exactly', () => {
    for (const [name, issuer] of [['surrounding whitespace', `  ${SP_ENTITY_ID}\n`], ['another letter case', SP_ENTITY_ID.toUpperCase()]] as const) {
      it(`when the Issuer differs by ${name}, then it does not match`, async () => {
        const { app, agent } = await signedInAtApp();
        const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { issuer }))}`).set('Accept', 'text/html');
        expect(res.status).to.equal(400);
        await expectNothingSent(h, app, res, 'saml.issuer_unknown');
      });
    }
  });

  describe('item 6: a ProtocolBinding other than HTTP-POST', () => {
    const bindings = ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact', 'urn:example:bogus'];
    bindings.forEach((binding, i) => {
      it(`when the request asks for ${binding}, then a signed UnsupportedBinding goes to the verified ACS by POST`, async () => {
        const { app, agent } = await signedInAtApp();
        const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { id: `_binding-${i}`, protocolBinding: binding }))}`).expect(200);
        expect(res.headers.location).to.equal(undefined);
        const form = readPostForm(res.text);
        expect(form.action).to.equal(SP_ACS);
        expect(decodeResponse(form.samlResponse)).not.to.contain('Assertion');
        await acceptedBySp(h, app, form, { inResponseTo: `_binding-${i}`, expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:UnsupportedBinding' });
      });
    });
  });

  describe('item 7: a <Subject> in the request', () => {
    const subject = (nameId: string) =>
      `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${nameId}</saml:NameID></saml:Subject>`;

    it('when it names the signed-in user, then the assertion is for that user', async () => {
      const { app, user, agent } = await signedInAtApp();
      const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { id: '_subject-same', extraXml: subject(user.email) }))}`).expect(200);
      const profile = await acceptedBySp(h, app, readPostForm(res.text), { inResponseTo: '_subject-same' });
      expect(profile.nameId).to.equal(user.email);
    });

    it('when it names someone else than the signed-in user, then the SP gets RequestDenied and no assertion', async () => {
      const { app, agent } = await signedInAtApp();
      const other = await createUser(h);
      const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { id: '_subject-other', extraXml: subject(other.email) }))}`).expect(200);
      const form = readPostForm(res.text);
      const xml = decodeResponse(form.samlResponse);
      expect(xml).not.to.contain('Assertion');
      expect(xml).not.to.contain(other.email);
      await acceptedBySp(h, app, form, { inResponseTo: '_subject-other', expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied' });
      const [event] = await h.ctx.store.events.list({ appId: app.id, type: 'sso_auth', limit: 1 });
      expect(event).to.include({ outcome: 'failure', reason: 'saml.status.RequestDenied' });
    });

    it('when nobody is signed in and another user signs in, then that user gets no assertion either', async () => {
      const { app, user } = await authorizedUser(h);
      const agent = request.agent(h.app);
      const query = toRedirectQuery(requestFor(app.slug, { id: '_subject-login', extraXml: subject('someone.else@example.com') }));
      const start = await agent.get(`/saml2/${app.slug}?${query}`).expect(303);
      const pendingId = /sso=([\w-]+)/.exec(start.headers.location)![1];
      const { res } = await signIn(h, user.username, user.password, agent, pendingId);
      const post = await agent.get(res.headers.location).expect(200);
      const form = readPostForm(post.text);
      expect(decodeResponse(form.samlResponse)).not.to.contain('Assertion');
      await acceptedBySp(h, app, form, { inResponseTo: '_subject-login', expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied' });
    });

    it('when the Subject carries no NameID (an EncryptedID or BaseID), then the SP gets RequestUnsupported', async () => {
      const { app, agent } = await signedInAtApp();
      const extraXml = '<saml:Subject><saml:BaseID xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x:y" xmlns:x="urn:x"/></saml:Subject>';
      const res = await agent.get(`/saml2/${app.slug}?${toRedirectQuery(requestFor(app.slug, { id: '_subject-base', extraXml }))}`).expect(200);
      await acceptedBySp(h, app, readPostForm(res.text), { inResponseTo: '_subject-base', expectStatus: 'urn:oasis:names:tc:SAML:2.0:status:RequestUnsupported' });
    });
  });
});
