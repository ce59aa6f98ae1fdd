import crypto from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { expect } from 'chai';
import forge from 'node-forge';
import { ExclusiveCanonicalization } from 'xml-crypto/lib/exclusive-canonicalization';
import { AppError } from '../../src/errors';
import { buildIdpMetadata } from '../../src/saml/metadata';
import { buildResponse, buildStatusResponse } from '../../src/saml/response';
import { NS, STATUS, type ResponseInput, type SigningCredential } from '../../src/saml/types';
import { newSamlId } from '../../src/saml/xml';

function credential(): SigningCredential {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'unit' }]);
  cert.setIssuer([{ name: 'commonName', value: 'unit' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { privateKey: crypto.createPrivateKey(forge.pki.privateKeyToPem(keys.privateKey)), certificatePem: forge.pki.certificateToPem(cert) };
}

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');

/** The exclusive-c14n form of an element, as xml-crypto (an independent canonicaliser) computes it. */
function canonical(element: Element): string {
  return new ExclusiveCanonicalization().process(element, {}) as unknown as string;
}

function outerOf(xml: string, tag: string): string {
  const start = xml.indexOf(`<${tag}`);
  const end = xml.indexOf(`</${tag}>`, start) + tag.length + 3;
  return xml.slice(start, end);
}

describe('SAML Response builder (src/saml/response.ts)', () => {
  const cred = credential();
  const input = (overrides: Partial<ResponseInput> = {}): ResponseInput => ({
    responseId: newSamlId(), assertionId: newSamlId(), issuer: 'https://idp.example/saml2/wiki',
    destination: 'https://wiki.example/acs?tenant=a&b=1', inResponseTo: '_req1', audience: 'https://wiki.example/sp',
    nameId: { value: 'ada@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    now: new Date('2026-12-01T10:00:00.000Z'), assertionLifetimeSeconds: 300, clockSkewSeconds: 180,
    authnInstant: new Date('2026-12-01T09:59:00.000Z'), sessionIndex: '_s1',
    authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    attributes: [{ name: 'groups', values: ['Eng & Ops', '<admins>'] }, { name: 'title', values: ['say "hi"\r\n'] }],
    signAssertion: true, signResponse: true, algorithm: 'rsa-sha256', credential: cred, ...overrides,
  });

  it('writes each signed element already in exclusive-c14n form (what the digest covers)', () => {
    const xml = buildResponse(input());
    const doc = parse(xml);
    const assertion = doc.getElementsByTagNameNS(NS.assertion, 'Assertion')[0];
    // The assertion's digest covers it without its own signature (enveloped-signature transform).
    const assertionXml = outerOf(xml, 'saml:Assertion');
    const withoutSignature = assertionXml.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '');
    const sig = assertion.getElementsByTagNameNS(NS.dsig, 'Signature')[0];
    assertion.removeChild(sig);
    expect(canonical(assertion)).to.equal(withoutSignature);
    // The whole Response, including the assertion's signature, is canonical as written.
    const again = parse(xml).documentElement!;
    expect(canonical(again)).to.equal(xml);
  });

  it('has the elements the Web SSO profile requires, in schema order (profiles §4.1.4.2)', () => {
    const xml = buildResponse(input());
    const names = (parent: Element) => Array.from(parent.childNodes as unknown as Element[]).filter((n) => n.nodeType === 1).map((n) => n.localName);
    const doc = parse(xml);
    expect(names(doc.documentElement!)).to.deep.equal(['Issuer', 'Signature', 'Status', 'Assertion']);
    const assertion = doc.getElementsByTagNameNS(NS.assertion, 'Assertion')[0];
    expect(names(assertion)).to.deep.equal(['Issuer', 'Signature', 'Subject', 'Conditions', 'AuthnStatement', 'AttributeStatement']);
    expect(xml).to.contain('Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"');
    expect(xml).to.contain('<saml:SubjectConfirmationData InResponseTo="_req1" NotOnOrAfter="2026-12-01T10:05:00Z" Recipient="https://wiki.example/acs?tenant=a&amp;b=1">');
    expect(xml).to.contain('<saml:Conditions NotBefore="2026-12-01T09:57:00Z" NotOnOrAfter="2026-12-01T10:05:00Z">');
    expect(xml).to.contain('<saml:Audience>https://wiki.example/sp</saml:Audience>');
    expect(xml).to.contain('<saml:AuthnStatement AuthnInstant="2026-12-01T09:59:00Z" SessionIndex="_s1">');
  });

  it('leaves InResponseTo out entirely for an unsolicited Response', () => {
    const xml = buildResponse(input({ inResponseTo: undefined }));
    expect(xml).not.to.contain('InResponseTo');
  });

  it('escapes values so markup stays text, and reads back byte-exact', () => {
    const doc = parse(buildResponse(input()));
    const values = Array.from(doc.getElementsByTagNameNS(NS.assertion, 'AttributeValue') as unknown as Element[]).map((e) => e.textContent);
    expect(values).to.deep.equal(['Eng & Ops', '<admins>', 'say "hi"\r\n']);
    expect(doc.getElementsByTagNameNS(NS.assertion, 'Attribute').length).to.equal(2);
  });

  for (const [label, bad] of [['U+0001', 'a\u0001b'], ['U+FFFE', 'a\uFFFEb'], ['a lone surrogate', 'a\uD800b']] as const) {
    it(`refuses a value holding ${label} with a clear error instead of signing ill-formed XML`, () => {
      let thrown: unknown;
      try {
        buildResponse(input({ attributes: [{ name: 'title', values: [bad] }] }));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(AppError);
      expect(thrown).to.include({ status: 422, code: 'saml.value_not_xml_safe' });
      expect((thrown as Error).message).to.contain('attribute title');
    });
  }

  it('refuses to build a Response that signs nothing', () => {
    expect(() => buildResponse(input({ signAssertion: false, signResponse: false }))).to.throw(/sign the assertion/);
  });

  it('signs with RSA-SHA512 and SHA-512 digests when the app asks for it', () => {
    const xml = buildResponse(input({ algorithm: 'rsa-sha512', signResponse: false }));
    expect(xml).to.contain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"');
    expect(xml).to.contain('Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"');
    expect(xml.match(/<ds:Signature /g)).to.have.length(1);
  });

  it('builds a signed status Response with a nested status code and no assertion (core §3.2.2.2)', () => {
    const xml = buildStatusResponse({
      responseId: newSamlId(), issuer: 'https://idp.example', destination: 'https://wiki.example/acs', inResponseTo: '_r',
      now: new Date(), topStatus: STATUS.responder, subStatus: STATUS.noPassive, statusMessage: 'not <signed> in',
      algorithm: 'rsa-sha256', credential: cred,
    });
    expect(xml).to.contain(`<samlp:StatusCode Value="${STATUS.responder}"><samlp:StatusCode Value="${STATUS.noPassive}"></samlp:StatusCode></samlp:StatusCode>`);
    expect(xml).to.contain('<samlp:StatusMessage>not &lt;signed&gt; in</samlp:StatusMessage>');
    expect(xml).not.to.contain('Assertion');
    expect(canonical(parse(xml).documentElement!)).to.equal(xml);
  });
});

describe('IdP metadata builder (src/saml/metadata.ts)', () => {
  it('publishes every certificate, the NameID formats and both SSO bindings, escaped', () => {
    const xml = buildIdpMetadata({
      entityId: 'https://idp.example/saml2/a?x=1&y=2', ssoUrl: 'https://idp.example/saml2/a',
      certificatesPem: ['-----BEGIN CERTIFICATE-----\nAAAA\nBBBB\n-----END CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----'],
      nameIdFormats: ['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'], wantAuthnRequestsSigned: true,
    });
    const doc = parse(xml);
    expect(doc.documentElement!.getAttribute('entityID')).to.equal('https://idp.example/saml2/a?x=1&y=2');
    const certs = Array.from(doc.getElementsByTagNameNS(NS.dsig, 'X509Certificate') as unknown as Element[]).map((e) => e.textContent);
    expect(certs).to.deep.equal(['AAAABBBB', 'CCCC']);
    const services = Array.from(doc.getElementsByTagNameNS(NS.metadata, 'SingleSignOnService') as unknown as Element[]).map((e) => e.getAttribute('Binding'));
    expect(services).to.deep.equal(['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST']);
    expect(xml).to.contain('WantAuthnRequestsSigned="true"');
  });
});
