import type Database from 'better-sqlite3';
import { EVENT_SCALE_SQL } from './schema-events';
import { USER_SEARCH_SQL } from './schema-search';

/**
 * Versioned, append-only migrations. Each runs once, in its own transaction, and is recorded in
 * schema_migrations; start-up refuses a database whose schema is newer than this code knows.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'core directory, applications, keys, events, sessions, sso state',
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL COLLATE NOCASE UNIQUE,
        email TEXT NOT NULL COLLATE NOCASE UNIQUE,
        first_name TEXT NOT NULL DEFAULT '',
        last_name TEXT NOT NULL DEFAULT '',
        display_name TEXT NOT NULL DEFAULT '',
        employee_id TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
        is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
        password_hash TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE groups (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL COLLATE NOCASE UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE memberships (
        group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, user_id)
      );
      CREATE INDEX memberships_by_user ON memberships(user_id);
      CREATE TABLE signing_keys (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        encrypted_private_key TEXT NOT NULL,
        certificate_pem TEXT NOT NULL,
        fingerprint_sha256 TEXT NOT NULL UNIQUE,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('next', 'active', 'retired')),
        is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
        created_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX one_default_signing_key ON signing_keys(is_default) WHERE is_default = 1;
      CREATE TABLE applications (
        id TEXT PRIMARY KEY,
        catalog_id TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE CHECK (slug NOT GLOB '*[^a-z0-9-]*' AND length(slug) BETWEEN 1 AND 64),
        display_label TEXT NOT NULL CHECK (length(display_label) BETWEEN 1 AND 200),
        description TEXT NOT NULL DEFAULT '',
        show_in_portal INTEGER NOT NULL DEFAULT 1 CHECK (show_in_portal IN (0, 1)),
        sso_active INTEGER NOT NULL DEFAULT 1 CHECK (sso_active IN (0, 1)),
        signing_key_id TEXT REFERENCES signing_keys(id) ON DELETE RESTRICT,
        sp_entity_id TEXT NOT NULL,
        sso_json TEXT NOT NULL CHECK (json_valid(sso_json)),
        attributes_json TEXT NOT NULL CHECK (json_valid(attributes_json)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE application_groups (
        application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (application_id, group_id)
      );
      CREATE INDEX application_groups_by_group ON application_groups(group_id);
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        type TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
        reason TEXT,
        actor_type TEXT NOT NULL,
        actor_id TEXT,
        actor_label TEXT,
        target_type TEXT,
        target_id TEXT,
        target_label TEXT,
        app_id TEXT,
        client_ip TEXT,
        detail_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail_json))
      );
      CREATE INDEX events_by_time ON events(time);
      CREATE INDEX events_by_type ON events(type, id);
      CREATE INDEX events_by_app ON events(app_id, id);
      CREATE TABLE sessions (
        sid TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX sessions_by_expiry ON sessions(expires_at);
      CREATE TABLE seen_request_ids (
        sp_entity_id TEXT NOT NULL,
        request_id TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (sp_entity_id, request_id)
      );
      CREATE INDEX seen_request_ids_by_expiry ON seen_request_ids(expires_at);
      CREATE TABLE pending_sso (
        id TEXT PRIMARY KEY,
        application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        payload_json TEXT NOT NULL CHECK (json_valid(payload_json)),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'catalog instances: placeholder values, portal image, bookmark URL',
    sql: `
      ALTER TABLE applications ADD COLUMN placeholders_json TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(placeholders_json));
      ALTER TABLE applications ADD COLUMN portal_json TEXT NOT NULL DEFAULT '{"image":"logo","color":"#57606a"}' CHECK (json_valid(portal_json));
      ALTER TABLE applications ADD COLUMN bookmark_url TEXT;
    `,
  },
  {
    version: 3,
    name: 'sign-in throttling',
    sql: `
      CREATE TABLE login_throttle (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL CHECK (failures >= 0),
        window_start TEXT NOT NULL,
        blocked_until TEXT
      );
    `,
  },
  {
    version: 4,
    name: 'TOTP multi-factor sign-in',
    sql: `
      ALTER TABLE users ADD COLUMN mfa_required INTEGER NOT NULL DEFAULT 0 CHECK (mfa_required IN (0, 1));
      CREATE TABLE user_mfa (
        user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        sealed_secret TEXT NOT NULL,
        confirmed INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
        recovery_json TEXT NOT NULL CHECK (json_valid(recovery_json)),
        last_used_step INTEGER,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'identity management (SCIM) connection per application',
    sql: `
      CREATE TABLE application_idm (
        application_id TEXT PRIMARY KEY REFERENCES applications(id) ON DELETE CASCADE,
        base_url TEXT NOT NULL,
        sealed_token TEXT NOT NULL,
        token_hint TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
        groups_enabled INTEGER NOT NULL DEFAULT 0 CHECK (groups_enabled IN (0, 1)),
        excluded_mappings_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(excluded_mappings_json)),
        activated_at TEXT,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'provisioning outbox and links to remote SCIM users',
    sql: `
      CREATE TABLE provisioning_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX provisioning_jobs_due ON provisioning_jobs(status, next_attempt_at);
      CREATE TABLE provisioned_users (
        application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (application_id, user_id)
      );
    `,
  },
  {
    version: 7,
    name: 'links to remote SCIM groups',
    sql: `
      CREATE TABLE provisioned_groups (
        application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        group_id TEXT NOT NULL,
        remote_id TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (application_id, group_id)
      );
    `,
  },
  {
    version: 8,
    name: 'user imports from an application',
    sql: `
      CREATE TABLE user_imports (
        id TEXT PRIMARY KEY,
        application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        total INTEGER NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('running', 'finished')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'role attribute sent with provisioned users',
    sql: `ALTER TABLE application_idm ADD COLUMN role_json TEXT CHECK (role_json IS NULL OR json_valid(role_json));`,
  },
  {
    // A password change ends the user's other sessions, so sessions are found by user. Sessions
    // that exist already get their user from passport's serialized id.
    version: 10,
    name: 'sessions know their user',
    sql: `
      ALTER TABLE sessions ADD COLUMN user_id TEXT;
      UPDATE sessions SET user_id = json_extract(data, '$.passport.user') WHERE json_valid(data);
      CREATE INDEX sessions_by_user ON sessions(user_id) WHERE user_id IS NOT NULL;
    `,
  },
  {
    version: 11,
    name: 'one application per SP entity ID',
    // The SP's entity ID names one relationship (SAML metadata §2.3.2), so two apps may not share
    // it. Not covered: bookmarks (''), IDs still holding a placeholder (not real yet), and apps
    // that already shared one before this migration (all but the oldest are flagged; the flag
    // clears when the app's entity ID changes, see applications.ts update()).
    sql: `
      ALTER TABLE applications ADD COLUMN sp_entity_shared_before INTEGER NOT NULL DEFAULT 0;
      UPDATE applications SET sp_entity_shared_before = 1 WHERE sp_entity_id <> '' AND EXISTS (
        SELECT 1 FROM applications older WHERE older.sp_entity_id = applications.sp_entity_id
          AND (older.created_at < applications.created_at OR (older.created_at = applications.created_at AND older.id < applications.id)));
      CREATE UNIQUE INDEX applications_sp_entity_id_unique ON applications (sp_entity_id)
        WHERE sp_entity_id <> '' AND sp_entity_shared_before = 0 AND sp_entity_id NOT GLOB '*YOUR_[A-Z0-9_]*';
      CREATE INDEX applications_sp_entity_id ON applications (sp_entity_id);
    `,
  },
  {
    version: 12,
    name: 'what was last sent to each remote SCIM user and group',
    // NULL: not known (linked by look-up, import or before this version); the next sync writes.
    sql: `
      ALTER TABLE provisioned_users ADD COLUMN sent_json TEXT CHECK (sent_json IS NULL OR json_valid(sent_json));
      ALTER TABLE provisioned_groups ADD COLUMN sent_json TEXT CHECK (sent_json IS NULL OR json_valid(sent_json));
    `,
  },
  {
    // An ended session stays as a tombstone until it expires, so a request of it that was still
    // running cannot write it back (records.ts createSessionRepository).
    version: 13,
    name: 'ended sessions are kept as tombstones',
    sql: `ALTER TABLE sessions ADD COLUMN ended INTEGER NOT NULL DEFAULT 0 CHECK (ended IN (0, 1));`,
  },
  {
    // One lease per (app, user): the worker that holds it runs that user's newest job; the others
    // skip the user until it is released or expires (account-records.ts createProvisioningRepository).
    version: 14,
    name: 'provisioning leases; imports record their chosen users and the process running them',
    // An import's chosen remote users, in order, each with its outcome once run, and a lease like
    // the jobs' so a restart can tell an import whose process died from one still running.
    sql: `
      ALTER TABLE user_imports ADD COLUMN group_id TEXT;
      ALTER TABLE user_imports ADD COLUMN owner TEXT;
      ALTER TABLE user_imports ADD COLUMN leased_until TEXT;
      CREATE TABLE user_import_items (
        import_id TEXT NOT NULL REFERENCES user_imports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        remote_json TEXT NOT NULL CHECK (json_valid(remote_json)),
        outcome TEXT CHECK (outcome IS NULL OR outcome IN ('done', 'failed')),
        PRIMARY KEY (import_id, position)
      );
      CREATE TABLE provisioning_leases (
        application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL,
        job_id INTEGER NOT NULL,
        owner TEXT NOT NULL,
        leased_until TEXT NOT NULL,
        PRIMARY KEY (application_id, user_id)
      );
    `,
  },
  {
    // Directory Insights at millions of events: (column, id) indexes, per-hour roll-ups and the
    // ids they do not cover yet (schema-events.ts).
    version: 15,
    name: 'event indexes by actor, target and outcome; per-hour event roll-ups',
    sql: EVENT_SCALE_SQL,
  },
  {
    // Issue 11: user search through a word index instead of LIKE '%q%' over every row.
    version: 17,
    name: 'user search index (FTS5) and applications by label',
    sql: USER_SEARCH_SQL,
  },
];

export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * Apply every migration this database has not recorded, in version order. Versions are judged
 * one by one, not by the highest applied: work that lands in parallel may add version 11 after a
 * database already ran 12, and 11 must still run there.
 */
export function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const unknown = [...applied].filter((v) => !MIGRATIONS.some((m) => m.version === v));
  if (unknown.length > 0) {
    throw new Error(`The database schema has version ${Math.max(...unknown)}, which this Gatehouse (${LATEST_SCHEMA_VERSION}) does not know. Upgrade Gatehouse or restore a matching backup.`);
  }
  for (const migration of [...MIGRATIONS].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version))) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.name, new Date().toISOString());
    })();
  }
}
