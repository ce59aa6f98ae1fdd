import type { PgDatabase } from './db';
import { ACCOUNT_TABLES } from './schema-accounts';
import { DIRECTORY_TABLES } from './schema-directory';
import { RECORD_TABLES } from './schema-records';
import { EVENT_SCALE_PG } from './schema-events';
import { USER_SEARCH_PG } from './schema-search';

/**
 * PostgreSQL migrations, numbered on their own (the schema starts where the SQLite one stands
 * today). Each runs once, in one transaction, recorded in schema_migrations; all of it happens
 * under a transaction-level advisory lock, so instances that start together migrate once: the
 * others wait for the lock, then find every version recorded.
 */
const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, name: 'directory, applications, keys, events, sessions, sso state, accounts, provisioning', sql: `${DIRECTORY_TABLES}\n${RECORD_TABLES}\n${ACCOUNT_TABLES}` },
  // One lease per (app, user), arbitrated by its primary key (provisioning-records.ts claim).
  // Imports record their chosen users and a lease, so a restart resumes one whose process died.
  { version: 2, name: 'provisioning leases; imports record their chosen users and the process running them', sql: `
  ALTER TABLE user_imports ADD COLUMN group_id text, ADD COLUMN owner text, ADD COLUMN leased_until text COLLATE "C";
  CREATE TABLE user_import_items (
    import_id text NOT NULL,
    position integer NOT NULL,
    remote_json text NOT NULL,
    outcome text,
    CONSTRAINT user_import_items_pkey PRIMARY KEY (import_id, position),
    CONSTRAINT user_import_items_import_id_fkey FOREIGN KEY (import_id) REFERENCES user_imports (id) ON DELETE CASCADE,
    CONSTRAINT user_import_items_outcome_check CHECK (outcome IS NULL OR outcome IN ('done', 'failed'))
  );
  CREATE TABLE provisioning_leases (
    application_id text NOT NULL,
    user_id text COLLATE "C" NOT NULL,
    job_id bigint NOT NULL,
    owner text NOT NULL,
    leased_until text COLLATE "C" NOT NULL,
    CONSTRAINT provisioning_leases_pkey PRIMARY KEY (application_id, user_id),
    CONSTRAINT provisioning_leases_application_id_fkey FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
  );` },
  // Directory Insights at millions of events (schema-events.ts).
  { version: 3, name: 'event indexes by actor, target and outcome; per-hour event roll-ups', sql: EVENT_SCALE_PG },
  // Issue 11: user search through a word index instead of ILIKE '%q%' over every row.
  { version: 5, name: 'user search index (tsvector of the words) and applications by label', sql: USER_SEARCH_PG },
];

/** pg_advisory_xact_lock key: "gatehouse-migrate" as a number, the same in every instance. */
const MIGRATION_LOCK = 0x6761_7465;

export const LATEST_PG_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

export async function migratePostgres(db: PgDatabase): Promise<void> {
  await db.transaction(async () => {
    await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`);
    const applied = new Set((await db.many<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const unknown = [...applied].filter((v) => !MIGRATIONS.some((m) => m.version === v));
    if (unknown.length > 0) {
      throw new Error(`The database schema has version ${Math.max(...unknown)}, which this Gatehouse (${LATEST_PG_SCHEMA_VERSION}) does not know. Upgrade Gatehouse or restore a matching backup.`);
    }
    for (const migration of MIGRATIONS.filter((m) => !applied.has(m.version))) {
      await db.query(migration.sql);
      await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [migration.version, migration.name, new Date().toISOString()]);
    }
  });
}
