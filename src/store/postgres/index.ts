import type { Store } from '../types';
import { createPgAccountRepositories, ACCOUNT_FIELDS } from './account-records';
import { createPgDatabase } from './db';
import { createPgDirectoryRepositories, DIRECTORY_FIELDS } from './directory';
import { migratePostgres } from './migrations';
import { createPgRecordRepositories, RECORD_FIELDS } from './records';

/**
 * While the driver is being ported part by part, a part that is not written yet still lets the
 * store open: its repositories answer every call with a clear error. (Removed once all parts land.)
 */
function portedOrPending<T extends object>(create: () => T, names: readonly string[]): T {
  try {
    return create();
  } catch (error) {
    const pending = new Proxy({}, { get: () => async () => { throw error; } });
    return Object.fromEntries(names.map((n) => [n, pending])) as T;
  }
}

/**
 * The PostgreSQL store: the same repositories as the SQLite driver over a bounded pool, for
 * running several Gatehouse instances against one database (ARCHITECTURE.md "Store"). The schema
 * is migrated at start under an advisory lock.
 */
export async function openPostgresStore(url: string, options: { poolSize: number }): Promise<Store> {
  const db = createPgDatabase(url, { poolSize: options.poolSize, fieldOf: { ...DIRECTORY_FIELDS, ...RECORD_FIELDS, ...ACCOUNT_FIELDS } });
  try {
    await migratePostgres(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const records = portedOrPending(() => createPgRecordRepositories(db), ['events', 'sessions', 'ssoState', 'settings']);
  return {
    kind: 'postgres',
    ...portedOrPending(() => createPgDirectoryRepositories(db), ['users', 'groups', 'applications', 'signingKeys']),
    ...records,
    ...portedOrPending(() => createPgAccountRepositories(db), ['throttle', 'mfa', 'idm', 'provisioning', 'imports']),
    transaction: (work) => db.transaction(work),
    async close() {
      await Promise.resolve(records.events.flush?.()).catch(() => undefined);
      await db.close();
    },
  };
}
