import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import forge from 'node-forge';
import type TestAgent from 'supertest/lib/agent';
import { ADMIN_PASSWORD, createApplication, csrfFrom, signIn, startGatehouse, wikiApplication, type Harness } from '../helpers/harness';

/** A self-signed SP certificate with the key size and signature digest under test. */
function spCertificate(bits: number, digest: 'md5' | 'sha1' | 'sha256'): string {
  return keyAndCertificate(bits, digest).certificatePem;
}

function keyAndCertificate(bits: number, digest: 'md5' | 'sha1' | 'sha256'): { privateKeyPem: string; certificatePem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = `01${crypto.randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'sp.example' }]);
  cert.setIssuer([{ name: 'commonName', value: 'sp.example' }]);
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md[digest].create());
  return { privateKeyPem, certificatePem: forge.pki.certificateToPem(cert) };
}

const EC_P256 = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sp-ec-p256.pem'), 'utf8');

describe('SP certificates: weak keys and MD5 signatures are refused, SHA-1 is accepted with a warning', () => {
  let h: Harness;
  let admin: TestAgent;
  before(async () => {
    h = await startGatehouse();
    admin = (await signIn(h, 'admin@gatehouse.local', ADMIN_PASSWORD)).agent;
  });
  after(async () => { await h.close(); });

  const metadataWith = (pem: string) => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://meta-sp.example/sp">
    <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://meta-sp.example/acs" index="0"/>
    </md:SPSSODescriptor></md:EntityDescriptor>`;

  for (const [label, pem, named] of [
    ['an RSA key under 2048 bits', () => spCertificate(1024, 'sha256'), /RSA key of 1024 bits; at least 2048/],
    ['an MD5-signed certificate', () => spCertificate(2048, 'md5'), /signed with MD5 with RSA/],
  ] as const) {
    it(`when the API is sent ${label}, then it answers 422 naming the problem and stores nothing`, async () => {
      const before = (await h.api().get('/api/v1/applications').expect(200)).body.total;
      const res = await h.api().post('/api/v1/applications').send(wikiApplication({}, { spCertificate: pem(), requireSignedRequests: true })).expect(422);
      expect(res.body.message).to.contain('sso.spCertificate').and.to.match(named);
      expect((await h.api().get('/api/v1/applications').expect(200)).body.total).to.equal(before);

      const app = await createApplication(h);
      const patched = await h.api().patch(`/api/v1/applications/${app.id}`).send({ sso: { spCertificate: pem() } }).expect(422);
      expect(patched.body.message).to.match(named);
      expect((await h.ctx.store.applications.findById(app.id))!.sso!.spCertificatePem).to.equal(null);
    });

    it(`when SP metadata carries ${label}, then the portal refuses it with the reason and keeps the app as it was`, async () => {
      const app = await createApplication(h);
      const page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
      const res = await admin.post(`/admin/applications/${app.id}/sp-metadata`).type('form').send({ _csrf: csrfFrom(page.text), metadata: metadataWith(pem()) });
      expect(res.status).to.equal(422);
      expect(res.text).to.contain('The SP metadata was not used').and.to.match(named);
      const stored = (await h.ctx.store.applications.findById(app.id))!;
      expect(stored.sso).to.deep.include({ spEntityId: app.sso.spEntityId, spCertificatePem: null });
    });
  }

  it('when the SSO tab is sent an MD5-signed certificate, then it is refused with what was typed kept', async () => {
    const app = await createApplication(h);
    const page = await admin.get(`/admin/applications/${app.id}?tab=sso`).expect(200);
    const res = await admin.post(`/admin/applications/${app.id}/sso`).type('form').send({
      _csrf: csrfFrom(page.text), spEntityId: app.sso.spEntityId, acsUrls: app.sso.acsEndpoints.map((e) => e.url).join('\n'),
      nameIdFormat: app.sso.nameIdFormat, nameIdSource: 'email', signing: 'assertion', signatureAlgorithm: 'rsa-sha256',
      spCertificate: spCertificate(2048, 'md5'), attr_count: '0',
    }).expect(422);
    expect(res.text).to.match(/signed with MD5 with RSA/);
    expect((await h.ctx.store.applications.findById(app.id))!.sso!.spCertificatePem).to.equal(null);
  });

  it('when the certificate is SHA-1-signed, then it is saved and the API answer and the SSO tab warn about it', async () => {
    const res = await h.api().post('/api/v1/applications').send(wikiApplication({}, { spEntityId: 'https://sha1-sp.example/sp', spCertificate: spCertificate(2048, 'sha1'), requireSignedRequests: true })).expect(201);
    expect(res.body.warnings).to.have.length(1);
    expect(res.body.warnings[0]).to.match(/signed with SHA-1 with RSA/);
    expect((await h.api().get(`/api/v1/applications/${res.body.id}`).expect(200)).body.warnings[0]).to.match(/SHA-1/);
    const page = await admin.get(`/admin/applications/${res.body.id}?tab=sso`).expect(200);
    expect(page.text).to.contain('sp-certificate-warning').and.to.contain('signed with SHA-1 with RSA');
  });

  it('when the certificate is RSA-2048/SHA-256 or EC P-256, then it is saved without a warning', async () => {
    for (const [i, pem] of [spCertificate(2048, 'sha256'), EC_P256].entries()) {
      const res = await h.api().post('/api/v1/applications').send(wikiApplication({}, { spEntityId: `https://strong-sp.example/${i}`, spCertificate: pem, requireSignedRequests: true })).expect(201);
      expect(res.body.warnings).to.deep.equal([]);
      expect(res.body.sso.spCertificatePem).to.contain('BEGIN CERTIFICATE');
    }
    const meta = await createApplication(h);
    const page = await admin.get(`/admin/applications/${meta.id}?tab=sso`).expect(200);
    await admin.post(`/admin/applications/${meta.id}/sp-metadata`).type('form').send({ _csrf: csrfFrom(page.text), metadata: metadataWith(EC_P256) }).expect(303);
    expect((await h.ctx.store.applications.findById(meta.id))!.sso!.spCertificatePem).to.contain('BEGIN CERTIFICATE');
  });

  it('when an admin imports an IdP signing key whose certificate is MD5-signed, then it is refused the same way', async () => {
    const before = (await h.ctx.store.signingKeys.list()).length;
    const res = await h.api().post('/api/v1/applications').send(wikiApplication({ signingKey: keyAndCertificate(2048, 'md5') })).expect(422);
    expect(res.body.code).to.equal('keys.certificate_refused');
    expect(res.body.message).to.contain('MD5');
    expect((await h.ctx.store.signingKeys.list()).length, 'no key stored').to.equal(before);
    await h.api().post('/api/v1/applications').send(wikiApplication({ signingKey: keyAndCertificate(2048, 'sha256') })).expect(201);
  });
});
