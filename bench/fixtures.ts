import crypto from 'node:crypto';
import forge from 'node-forge';
import { newSamlId } from '../src/saml/xml';
import type { ResponseInput, SigningCredential } from '../src/saml/types';

/** The benchmark's signing key and the Response it signs: the same assertion in every case. */
export function credential(): SigningCredential {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'bench' }]);
  cert.setIssuer([{ name: 'commonName', value: 'bench' }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string), forge.md.sha256.create());
  return { privateKey, certificatePem: forge.pki.certificateToPem(cert) };
}

export function responseInput(cred: SigningCredential, signResponse: boolean): ResponseInput {
  const now = new Date();
  return {
    responseId: newSamlId(), assertionId: newSamlId(), issuer: 'http://127.0.0.1/saml2/bench',
    destination: 'https://wiki.example/acs', audience: 'https://wiki.example/sp',
    nameId: { value: 'bench@example.com', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    now, assertionLifetimeSeconds: 300, clockSkewSeconds: 180, authnInstant: now, sessionIndex: '_s1',
    authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    attributes: [
      { name: 'email', values: ['bench@example.com'] }, { name: 'firstName', values: ['Bench'] },
      { name: 'lastName', values: ['User'] }, { name: 'groups', values: ['Engineering'] }, { name: 'plan', values: ['enterprise'] },
    ],
    signAssertion: true, signResponse, algorithm: 'rsa-sha256', credential: cred,
  };
}
