import { expect } from 'chai';
import request from 'supertest';
import { authorizedUser, readPostForm, signIn, SP_ACS, SP_ENTITY_ID, startGatehouse, wikiApplication, type Harness } from '../helpers/harness';
import { acceptedBySp, expectNothingSent, ssoUrl } from '../helpers/sso';
import { buildAuthnRequestXml, createSpCredential, toPostForm, toRedirectQuery, wrapSignedRequest } from '../helpers/test-sp';

describe('SP-initiated SSO with signed AuthnRequests (requireSignedRequests)', () => {
  let h: Harness;
  let sp: ReturnType<typeof createSpCredential>;
  let stranger: ReturnType<typeof createSpCredential>;
  before(async () => {
    h = await startGatehouse();
    sp = createSpCredential();
    stranger = createSpCredential();
  });
  after(async () => { await h.close(); });

  const signedApp = () => wikiApplication({}, { spCertificate: sp.certPem, requireSignedRequests: true });
  const requestFor = (slug: string, overrides: Parameters<typeof buildAuthnRequestXml>[0] = {}) =>
    buildAuthnRequestXml({ issuer: SP_ENTITY_ID, destination: ssoUrl(slug), acsUrl: SP_ACS, issueInstant: h.clock.now(), ...overrides });

  it('accepts a Redirect request signed with RSA-SHA256 by the registered SP key', async () => {
    const { app, user } = await authorizedUser(h, signedApp());
    const { agent } = await signIn(h, user.username, user.password);
    const query = toRedirectQuery(requestFor(app.slug, { id: '_signed-r-1' }), { relayState: 'signed rs', sign: { privateKeyPem: sp.privateKeyPem } });
    const form = readPostForm((await agent.get(`/saml2/${app.slug}?${query}`).expect(200)).text);
    expect(form.relayState).to.equal('signed rs');
    await acceptedBySp(h, app, form, { inResponseTo: '_signed-r-1' });
  });

  it('accepts a POST request with an enveloped signature by the registered SP key', async () => {
    const { app, user } = await authorizedUser(h, signedApp());
    const { agent } = await signIn(h, user.username, user.password);
    const body = toPostForm(requestFor(app.slug, { id: '_signed-p-1' }), { sign: { privateKeyPem: sp.privateKeyPem, certPem: sp.certPem } });
    const hop = await request(h.app).post(`/saml2/${app.slug}`).type('form').send(body).expect(303);
    const form = readPostForm((await agent.get(new URL(hop.headers.location).pathname).expect(200)).text);
    await acceptedBySp(h, app, form, { inResponseTo: '_signed-p-1' });
  });

  const refusals: { name: string; code: string; send: (slug: string) => { query?: string; body?: Record<string, string> } }[] = [
    { name: 'an unsigned request', code: 'saml.signature_missing', send: (s) => ({ query: toRedirectQuery(requestFor(s)) }) },
    { name: 'a request signed by another key', code: 'saml.signature_invalid', send: (s) => ({ query: toRedirectQuery(requestFor(s), { sign: { privateKeyPem: stranger.privateKeyPem } }) }) },
    { name: 'a request signed with SHA-1', code: 'saml.signature_algorithm_unsupported', send: (s) => ({ query: toRedirectQuery(requestFor(s), { sign: { privateKeyPem: sp.privateKeyPem, sigAlg: 'rsa-sha1' } }) }) },
    {
      name: 'a RelayState changed after signing', code: 'saml.signature_invalid', send: (s) => {
        const query = toRedirectQuery(requestFor(s), { relayState: 'original', sign: { privateKeyPem: sp.privateKeyPem } });
        return { query: query.replace('RelayState=original', 'RelayState=tampered') };
      },
    },
    {
      name: 'a POST request signed by another key', code: 'saml.signature_invalid',
      send: (s) => ({ body: toPostForm(requestFor(s), { sign: { privateKeyPem: stranger.privateKeyPem, certPem: stranger.certPem } }) }),
    },
    {
      name: 'a wrapped (XSW) POST request that redirects the ACS', code: 'saml.signature_structure', send: (s) => {
        const signed = toPostForm(requestFor(s), { sign: { privateKeyPem: sp.privateKeyPem, certPem: sp.certPem } });
        const wrapped = wrapSignedRequest(Buffer.from(signed.SAMLRequest, 'base64').toString('utf8'), { evilAcsUrl: 'https://evil.example/acs' })[0];
        return { body: { SAMLRequest: Buffer.from(wrapped.xml, 'utf8').toString('base64') } };
      },
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} with ${c.code} and sends nothing`, async () => {
      const { app, user } = await authorizedUser(h, signedApp());
      const { agent } = await signIn(h, user.username, user.password);
      const { query, body } = c.send(app.slug);
      const res = body
        ? await agent.post(`/saml2/${app.slug}`).type('form').send(body)
        : await agent.get(`/saml2/${app.slug}?${query}`);
      expect(res.status).to.equal(400);
      expect(res.text).to.contain(c.code);
      await expectNothingSent(h, app, res, c.code);
    });
  }
});
