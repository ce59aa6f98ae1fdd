import crypto from 'node:crypto';
import type { User } from '../../../src/store';
import type { Application, Group, SigningKey, SsoSettings } from '../../../src/store';

/** Records for the contract suite: plain objects as the services would hand them to the store. */
export function sampleUser(overrides: Partial<User> = {}): User {
  const name = `u${crypto.randomBytes(5).toString('hex')}`;
  const now = new Date().toISOString();
  return {
    id: crypto.randomUUID(), username: name, email: `${name}@example.com`, firstName: 'Ada', lastName: 'Lovelace',
    displayName: 'Ada Lovelace', employeeId: '', title: '', state: 'active', isAdmin: false, mfaRequired: false,
    createdAt: now, updatedAt: now, ...overrides,
  };
}

const hex = (bytes = 5) => crypto.randomBytes(bytes).toString('hex');

/** Each call an ISO time a millisecond after the last: records created in order sort in order. */
let clock = Date.parse('2026-06-01T00:00:00.000Z');
export function nextTime(): string {
  clock += 1;
  return new Date(clock).toISOString();
}

export function sampleGroup(overrides: Partial<Group> = {}): Group {
  const now = nextTime();
  return { id: crypto.randomUUID(), name: `g${hex()}`, description: 'A group', createdAt: now, updatedAt: now, ...overrides };
}

export function sampleSsoSettings(overrides: Partial<SsoSettings> = {}): SsoSettings {
  return {
    idpEntityId: `https://idp.example/${hex()}`, spEntityId: `https://sp-${hex()}.example/saml`,
    acsEndpoints: [{ url: 'https://sp.example/acs', index: 0, isDefault: true }], loginUrl: '',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', nameIdSource: 'email',
    signAssertion: true, signResponse: false, signatureAlgorithm: 'rsa-sha256', defaultRelayState: '',
    spCertificatePem: null, requireSignedRequests: false, ...overrides,
  };
}

/** A SAML application with an SP entity ID of its own; `sso: null` and a bookmarkUrl for a bookmark. */
export function sampleApplication(overrides: Partial<Application> = {}): Application {
  const now = nextTime();
  const slug = `app-${hex()}`;
  return {
    id: crypto.randomUUID(), catalogId: 'custom-saml', slug, displayLabel: `App ${slug}`, description: '',
    showInPortal: true, ssoActive: true, signingKeyId: undefined, sso: sampleSsoSettings(),
    attributes: [{ name: 'email', source: 'email' }], placeholders: {}, portal: { image: 'logo', color: '#57606a' },
    bookmarkUrl: null, createdAt: now, updatedAt: now, ...overrides,
  };
}

export function sampleSigningKey(overrides: Partial<SigningKey> = {}): SigningKey {
  return {
    id: crypto.randomUUID(), label: 'Key', encryptedPrivateKey: `sealed:${hex(16)}`,
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', fingerprintSha256: hex(32),
    notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2036-01-01T00:00:00.000Z', status: 'active', isDefault: false,
    createdAt: nextTime(), ...overrides,
  };
}
