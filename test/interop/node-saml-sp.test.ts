import zlib from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { authorizedUser, createApplication, createUser, readPostForm, signIn, startGatehouse, wikiApplication, type Harness } from '../helpers/harness';
import { verifyWithXmlsec1, xmlsec1Available } from '../helpers/independent-sp';
import { createSpCredential } from '../helpers/test-sp';

/**
 * The "done when": an SP configured from nothing but /saml2/<slug>/metadata completes
 * SP- and IdP-initiated sign-in. The SP is @node-saml/node-saml: it builds (and signs) its own
 * AuthnRequests, remembers their IDs, and validates our Responses against the metadata certificate.
 */
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const SP_ENTITY_ID = 'https://wiki.example/sp';
const SP_ACS = 'https://wiki.example/acs';

interface IdpFromMetadata { entityId: string; redirectUrl: string; postUrl: string; certificatePem: string }

async function readMetadata(h: Harness, slug: string): Promise<IdpFromMetadata> {
  const xml = (await request(h.app).get(`/saml2/${slug}/metadata`).expect(200)).text;
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const sso = Array.from(doc.getElementsByTagNameNS(MD, 'SingleSignOnService') as unknown as Element[]);
  const location = (binding: string) => sso.find((e) => e.getAttribute('Binding')?.endsWith(binding))!.getAttribute('Location')!;
  const body = doc.getElementsByTagNameNS(DS, 'X509Certificate')[0].textContent!.replace(/\s+/g, '');
  return {
    entityId: doc.documentElement!.getAttribute('entityID')!,
    redirectUrl: location('HTTP-Redirect'),
    postUrl: location('HTTP-POST'),
    certificatePem: `-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`,
  };
}

function spFor(idp: IdpFromMetadata, options: { binding?: 'HTTP-Redirect' | 'HTTP-POST'; privateKey?: string; solicited?: boolean; digest?: 'sha1' | 'sha256'; authnContext?: string } = {}) {
  return new SAML({
    entryPoint: options.binding === 'HTTP-POST' ? idp.postUrl : idp.redirectUrl,
    authnRequestBinding: options.binding ?? 'HTTP-Redirect',
    issuer: SP_ENTITY_ID, callbackUrl: SP_ACS, audience: SP_ENTITY_ID,
    idpCert: idp.certificatePem, idpIssuer: idp.entityId,
    wantAuthnResponseSigned: false, wantAssertionsSigned: true,
    // node-saml's default digest for signed POST requests is SHA-1, which Gatehouse refuses.
    privateKey: options.privateKey, signatureAlgorithm: 'sha256', digestAlgorithm: options.digest ?? 'sha256',
    validateInResponseTo: options.solicited === false ? ValidateInResponseTo.never : ValidateInResponseTo.always,
    // The test Gatehouse runs on plain http, where a password sign-in is "Password", not
    // node-saml's default "PasswordProtectedTransport" (see the NoAuthnContext test below).
    authnContext: [options.authnContext ?? 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password'],
  });
}

/** The path and query of an absolute Gatehouse URL, for supertest. */
const local = (url: string) => { const u = new URL(url); return `${u.pathname}${u.search}`; };

async function completeAtSp(sp: SAML, idp: IdpFromMetadata, html: string) {
  const form = readPostForm(html);
  expect(form.action).to.equal(SP_ACS);
  if (xmlsec1Available()) {
    const result = verifyWithXmlsec1(Buffer.from(form.samlResponse, 'base64').toString('utf8'), idp.certificatePem, 'Assertion');
    expect(result.ok, result.output).to.equal(true);
  }
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.samlResponse });
  return { profile: profile!, relayState: form.relayState };
}

describe('Interop: @node-saml/node-saml as an SP configured from our metadata', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  it('SP-initiated over HTTP-Redirect: the SP sends the user, they sign in, the SP accepts the answer to its own request', async () => {
    const { app, user } = await authorizedUser(h);
    const idp = await readMetadata(h, app.slug);
    const sp = spFor(idp);
    const agent = request.agent(h.app);
    const start = await agent.get(local(await sp.getAuthorizeUrlAsync('/wiki/page?x=1', undefined, {}))).expect(303);
    const pendingId = /sso=([\w-]+)/.exec(start.headers.location)![1];
    const { res } = await signIn(h, user.username, user.password, agent, pendingId);
    const { profile, relayState } = await completeAtSp(sp, idp, (await agent.get(res.headers.location).expect(200)).text);
    expect(profile.nameID).to.equal(user.email);
    expect(relayState).to.equal('/wiki/page?x=1');
  });

  it('SP-initiated over HTTP-POST with an existing session: no prompt, and the SP accepts', async () => {
    const { app, user } = await authorizedUser(h);
    const idp = await readMetadata(h, app.slug);
    const sp = spFor(idp, { binding: 'HTTP-POST' });
    const { agent } = await signIn(h, user.username, user.password);
    const html = await sp.getAuthorizeFormAsync('post-rs');
    const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(html)![1];
    // Cross-site POST: the browser sends no SameSite=Lax cookie.
    const hop = await request(h.app).post(local(idp.postUrl)).type('form').send({ SAMLRequest: samlRequest, RelayState: 'post-rs' }).expect(303);
    const { profile, relayState } = await completeAtSp(sp, idp, (await (agent as TestAgent).get(local(hop.headers.location)).expect(200)).text);
    expect(profile.nameID).to.equal(user.email);
    expect(relayState).to.equal('post-rs');
  });

  for (const binding of ['HTTP-Redirect', 'HTTP-POST'] as const) {
    it(`accepts node-saml's signed AuthnRequests over ${binding} when the app requires signed requests`, async () => {
      const spKey = createSpCredential('node-saml-sp.example');
      const { app, user } = await authorizedUser(h, wikiApplication({}, { spCertificate: spKey.certPem, requireSignedRequests: true }));
      const idp = await readMetadata(h, app.slug);
      const sp = spFor(idp, { binding, privateKey: spKey.privateKeyPem });
      const { agent } = await signIn(h, user.username, user.password);
      let page: string;
      if (binding === 'HTTP-Redirect') {
        const url = await sp.getAuthorizeUrlAsync('', undefined, {});
        expect(url).to.contain('Signature=');
        page = (await agent.get(local(url)).expect(200)).text;
      } else {
        const html = await sp.getAuthorizeFormAsync('');
        const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(html)![1];
        // node-saml DEFLATEs POST requests by default (bindings §3.5.4 says it should not).
        expect(zlib.inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8')).to.contain('SignatureValue>');
        const hop = await request(h.app).post(local(idp.postUrl)).type('form').send({ SAMLRequest: samlRequest }).expect(303);
        page = (await agent.get(local(hop.headers.location)).expect(200)).text;
      }
      const { profile } = await completeAtSp(sp, idp, page);
      expect(profile.nameID).to.equal(user.email);
    });
  }

  it('refuses node-saml\'s default SHA-1 digest on signed POST requests, saying which algorithm to use', async () => {
    const spKey = createSpCredential();
    const { app, user } = await authorizedUser(h, wikiApplication({}, { spCertificate: spKey.certPem, requireSignedRequests: true }));
    const idp = await readMetadata(h, app.slug);
    const sp = spFor(idp, { binding: 'HTTP-POST', privateKey: spKey.privateKeyPem, digest: 'sha1' });
    await signIn(h, user.username, user.password);
    const samlRequest = /name="SAMLRequest" value="([^"]+)"/.exec(await sp.getAuthorizeFormAsync(''))![1];
    const res = await request(h.app).post(local(idp.postUrl)).type('form').send({ SAMLRequest: samlRequest }).expect(400);
    expect(res.text).to.contain('saml.signature_algorithm_unsupported');
    expect(res.text).to.contain('RSA-SHA256 or stronger');
  });

  it('refuses node-saml\'s request when the app requires signing and the SP did not sign', async () => {
    const spKey = createSpCredential();
    const { app, user } = await authorizedUser(h, wikiApplication({}, { spCertificate: spKey.certPem, requireSignedRequests: true }));
    const sp = spFor(await readMetadata(h, app.slug));
    const { agent } = await signIn(h, user.username, user.password);
    const res = await agent.get(local(await sp.getAuthorizeUrlAsync('', undefined, {}))).expect(400);
    expect(res.text).to.contain('saml.signature_missing');
    expect(res.text).not.to.contain('SAMLResponse');
  });

  it('IdP-initiated: the SP accepts an unsolicited Response with attributes', async () => {
    const { app, user, group } = await authorizedUser(h);
    const idp = await readMetadata(h, app.slug);
    const { agent } = await signIn(h, user.username, user.password);
    const { profile } = await completeAtSp(spFor(idp, { solicited: false }), idp, (await agent.get(`/saml2/${app.slug}`).expect(200)).text);
    expect(profile.nameID).to.equal(user.email);
    expect(profile.attributes).to.deep.include({ email: user.email, groups: group.name, plan: 'enterprise' });
  });

  it('over plain http, node-saml\'s default request for PasswordProtectedTransport gets a signed NoAuthnContext', async () => {
    const { app, user } = await authorizedUser(h);
    const idp = await readMetadata(h, app.slug);
    const sp = spFor(idp, { authnContext: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' });
    const { agent } = await signIn(h, user.username, user.password);
    const form = readPostForm((await agent.get(local(await sp.getAuthorizeUrlAsync('', undefined, {}))).expect(200)).text);
    let refusal = '';
    try {
      await sp.validatePostResponseAsync({ SAMLResponse: form.samlResponse });
    } catch (error) {
      refusal = JSON.stringify((error as { xmlStatus?: unknown }).xmlStatus);
    }
    expect(refusal).to.contain('urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext');
  });

  it('an unauthorized user gets a clear page and the SP gets nothing', async () => {
    const app = await createApplication(h);
    const user = await createUser(h);
    const sp = spFor(await readMetadata(h, app.slug));
    const { agent } = await signIn(h, user.username, user.password);
    const res = await agent.get(local(await sp.getAuthorizeUrlAsync('', undefined, {}))).expect(403);
    expect(res.text).to.contain('You do not have access to Wiki');
    expect(res.text).not.to.contain('SAMLResponse');
  });
});
