import type { Store } from '../types';
import { createPgAccountRepositories, ACCOUNT_FIELDS } from './account-records';
import { createPgDatabase } from './db';
import { createPgDirectoryRepositories, DIRECTORY_FIELDS } from './directory';
import { migratePostgres } from './migrations';
import { createPgRecordRepositories, RECORD_FIELDS } from './records';

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
  const records = createPgRecordRepositories(db);
  return {
    kind: 'postgres',
    ...createPgDirectoryRepositories(db),
    ...records,
    ...createPgAccountRepositories(db),
    transaction: (work) => db.transaction(work),
    // Nothing to do: autovacuum runs ANALYZE on tables that changed enough (schema-events.ts).
    async refreshStatistics() {},
    async close() {
      await records.events.flush?.();
      await db.close();
    },
  };
}
