import crypto from 'node:crypto';
import { expect } from 'chai';
import * as samlify from 'samlify';
import request from 'supertest';
import { createApplication, startGatehouse, wikiApplication, type Harness } from '../helpers/harness';

const body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

describe('IdP metadata and certificate per application', () => {
  let h: Harness;
  before(async () => { h = await startGatehouse(); });
  after(async () => { await h.close(); });

  it('serves metadata that an SP library reads: entity ID, signing certificate, both SSO bindings', async () => {
    const app = await createApplication(h, wikiApplication({}, { requireSignedRequests: false }));
    const res = await request(h.app).get(`/saml2/${app.slug}/metadata`).expect(200);
    expect(res.headers['content-type']).to.match(/^application\/samlmetadata\+xml/);
    const cert = await request(h.app).get(`/saml2/${app.slug}/certificate.pem`).expect(200);

    const idp = samlify.IdentityProvider({ metadata: res.text });
    expect(idp.entityMeta.getEntityID()).to.equal(`http://gatehouse.test/saml2/${app.slug}`);
    const signing = idp.entityMeta.getX509Certificate('signing');
    expect(body(String(Array.isArray(signing) ? signing[0] : signing))).to.equal(body(cert.text));
    const sso = `http://gatehouse.test/saml2/${app.slug}`;
    expect(idp.entityMeta.getSingleSignOnService('redirect')).to.equal(sso);
    expect(idp.entityMeta.getSingleSignOnService('post')).to.equal(sso);
    expect(res.text).to.contain('<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>');
    expect(res.text).to.contain('WantAuthnRequestsSigned="false"');
  });

  it('downloads the certificate as certificate.pem and the metadata as Gatehouse-<slug>-metadata.xml', async () => {
    const app = await createApplication(h);
    const cert = await request(h.app).get(`/saml2/${app.slug}/certificate.pem`).expect(200);
    expect(cert.headers['content-disposition']).to.equal('attachment; filename="certificate.pem"');
    const parsed = new crypto.X509Certificate(cert.text);
    expect(parsed.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
    const meta = await request(h.app).get(`/saml2/${app.slug}/metadata?download`).expect(200);
    expect(meta.headers['content-disposition']).to.equal(`attachment; filename="Gatehouse-${app.slug}-metadata.xml"`);
  });

  it('answers 404 for an unknown or malformed slug, and never serves a private key', async () => {
    await request(h.app).get('/saml2/nope/metadata').expect(404);
    await request(h.app).get('/saml2/..%2F..%2Fetc/certificate.pem').expect(404);
    const app = await createApplication(h);
    const meta = await request(h.app).get(`/saml2/${app.slug}/metadata`).expect(200);
    expect(meta.text).not.to.contain('PRIVATE KEY');
  });

  it('says WantAuthnRequestsSigned when the app requires signed requests, and uses a custom IdP entity ID', async () => {
    const spCert = (await request(h.app).get(`/saml2/${(await createApplication(h)).slug}/certificate.pem`)).text;
    const app = await createApplication(h, wikiApplication({}, { requireSignedRequests: true, spCertificate: spCert, idpEntityId: 'urn:gatehouse:wiki' }));
    const res = await request(h.app).get(`/saml2/${app.slug}/metadata`).expect(200);
    expect(res.text).to.contain('WantAuthnRequestsSigned="true"');
    expect(res.text).to.contain('entityID="urn:gatehouse:wiki"');
  });
});
