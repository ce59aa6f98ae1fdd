import crypto from 'node:crypto';
import type { User } from '../../../src/store';

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
