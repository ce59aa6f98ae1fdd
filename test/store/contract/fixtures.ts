import crypto from 'node:crypto';
import type { Application, User } from '../../../src/store';

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

/** A bookmark application (no SAML settings): the least an app needs to exist. */
export function sampleApplication(overrides: Partial<Application> = {}): Application {
  const slug = `app-${crypto.randomBytes(5).toString('hex')}`;
  const now = new Date().toISOString();
  return {
    id: crypto.randomUUID(), catalogId: 'bookmark', slug, displayLabel: `App ${slug}`, description: '', showInPortal: true,
    ssoActive: true, sso: null, attributes: [], placeholders: {}, portal: { image: 'color', color: '#57606a' },
    bookmarkUrl: `https://${slug}.example/`, createdAt: now, updatedAt: now, ...overrides,
  };
}
